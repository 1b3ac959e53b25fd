// Package s360 is usher's stand-in for an S-360 ticketing instance: a venue
// generator reproducible from a seed, and the push side that delivers what
// the venue produces to a receiver exactly as S-360's webhooks do.
//
// The venue (Venue) simulates a museum day by day: contacts (persons and
// companies) that sign up and change over time, orders (sales, refunds,
// options, reservations; closed or abandoned) with operations, movements
// and tickets, and access-control checks that reference those movements
// and tickets. Its payloads have the shapes in testdata/s360.
//
// The pusher (Simulator) follows S-360's documented mechanism: one queue
// per stream, processed every M minutes; at most S items a run (500
// contacts or orders, 2000 checks by default), at most bs items a POST
// (50); no auth, basic auth or an API-key header; 200 means accepted and
// anything else, or a timeout, means the same payload again at the next
// run, up to 12 tries, after which it is logged as given up. A cutoff date
// stands for the first-time synchronisation: nothing older is pushed.
//
// S-360's API stand-in (internal/sim/s360api) can share a venue: it
// reads, searches and changes the venue's contacts (ContactAt,
// ContactsByEmailAt, ChangeContactAt) and adds what it writes to the
// pushes (AddExternal); shared.go says how its changes and the venue's
// combine.
//
// Faults can be injected on demand: duplicate and out-of-order deliveries
// by the sender, and slow answers, 5xx and dropped connections by a
// FaultProxy placed in front of the receiver.
package s360
