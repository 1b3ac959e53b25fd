// Package s360 is usher's client for S-360's public REST APIs, on the
// calls S-360 documents and nothing else: the Contact API
// (contactInformationPublicService: createCulturalContact,
// saveIndividualContactData, searchContact, getContactData) and the
// external order facade (externalOrderFacade.createOrUpdateOrder) with
// the external order service's closing and reference steps. docs/upstreams.md
// lists every behaviour relied on, with its source or marked as an assumption.
//
// Every call is a POST to
//
//	<base>/<module>/backend-apis/<service>/<version>/<method>
//
// with an HS256 JWT bearer token (sub = institution code, aud = operator,
// iss = partner, 30 s life). No idempotency header is sent: S-360 has
// none, and a request is never re-sent by the HTTP transport either (see
// Client.post), so a call reaches S-360 at most once; what to do after a
// lost answer is the caller's business (internal/crm reads back).
//
// Before each call the client takes a slot from the shared rate budget in
// the database (180 calls a minute per instance, or the older 60 a minute
// per endpoint), so a well-behaved usher is rarely throttled; if S-360
// throttles anyway (509 today, 429 announced), the budget is paused for a
// whole window, since S-360 documents no Retry-After. A circuit breaker
// stops calling an instance that keeps failing and lets one probe through
// after a cool-down. A business error is an HTTP 200 whose statusCode is
// not "success".
//
// Errors are *CallError values whose Kind tells the outbox what to do:
// snooze (throttled, circuit open), resolve and retry (5xx, network,
// lost answer) or give up (S-360 rejected the request).
package s360
