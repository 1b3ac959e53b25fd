// Package s360 is usher's client for S-360's public REST APIs, only as
// smart as CRM sync needs: the Contact API (getContactData, a search, and
// saveIndividualContactData) and the orders API (creating an option or a
// sale).
//
// Every call is a POST to
//
//	<base>/<module>/backend-apis/<service>/<version>/<method>
//
// with an HS256 JWT bearer token (sub = institution code, aud = operator,
// iss = partner, 30 s life) and an Idempotency-Key header that stays the
// same across the retries of one outbox job. Before each call the client
// takes a slot from the instance's shared rate bucket in the database
// (S-360 allows 180 calls a minute per instance, whatever the replica),
// so a well-behaved usher is never throttled; if S-360 throttles anyway
// (429, or 509 from older deployments) its Retry-After pauses the bucket
// for every replica. A circuit breaker stops calling an instance that
// keeps failing and lets one probe through after a cool-down.
//
// Errors are *CallError values whose Kind tells the outbox what to do:
// snooze (throttled, circuit open), retry later (5xx, network) or give up
// (S-360 rejected the request).
package s360
