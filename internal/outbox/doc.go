// Package outbox works off usher's durable job queue: every call usher
// owes a system outside it (a delivery to a CRM, a write to S-360) is a
// row committed in the same transaction as its cause, and a Runner claims
// due rows, runs the handler of their kind, and records the outcome.
//
// Guarantees, on SQLite and on PostgreSQL shared by several replicas:
//
//   - at least once: a job stays in the database until an attempt is
//     recorded as done; a worker that dies mid-attempt loses its lease,
//     and the job is claimed again when the lease expires;
//   - never twice in effect: a CRM sees every attempt's idempotency key
//     as its webhook-id and deduplicates; S-360 has no such key, so the
//     S-360 handlers (internal/crm) find out whether a write whose answer
//     was lost happened before writing it again;
//   - never two at once: claims are exclusive (FOR UPDATE SKIP LOCKED on
//     Postgres, the single writer on SQLite) and fenced by a lease token;
//   - in order per key: only the first unfinished job of an order key is
//     claimable, so the versions of a document reach a CRM in order.
//
// A failed attempt is retried after an exponential backoff with jitter,
// up to the job's MaxAttempts; then it is failed, the dead letter, where
// it stays visible and can be retried (usher deliveries retry). Handlers
// say "not now" without using an attempt (Snooze: rate limit, open
// circuit) and "never" without retrying (Permanent).
package outbox
