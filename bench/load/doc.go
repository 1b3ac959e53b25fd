// Package load is the measuring kit of usher's benchmarks and fault tests:
// a generator of realistic S-360 payloads with unique ids, concurrent
// senders that time every acknowledgement, an in-process usher server
// wired like the real one, throwaway databases on either engine, and the
// physical limit each engine is compared with: a raw pgx COPY (PostgreSQL)
// or a single-transaction bulk insert (SQLite) of the same documents into
// tables of the same shape.
//
// The programs under bench/ and the tests in cmd/usher use it; see
// docs/performance.md for how the figures are taken and what they mean.
package load
