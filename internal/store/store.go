package store

import (
	"context"
	"fmt"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// Store is usher's storage: every rule written once, over the plain verbs
// of an engine's driver. Areas whose rules have not moved up yet pass
// through to the engine (driver.Legacy).
type Store struct {
	driver.Legacy
	d   driver.Driver
	now func() time.Time
	// finishes and marks group the outbox's job finishes and the CRM's
	// echo marks that concurrent workers write at the same moment.
	finishes *grouped[usher.JobFinish]
	marks    *grouped[usher.EchoMark]
	// routes are the CRM delivery routes SaveDocuments follows (crm.go).
	routes usher.RouteTable
	// paths are the indexes on document paths the listing reads
	// (pathindex.go).
	paths pathIndexes
}

var _ usher.Store = (*Store)(nil)

// New returns the store over d; now is the clock of the store's own
// decisions (erasure times, takeovers, due jobs).
func New(d driver.Driver, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{Legacy: d, d: d, now: now}
	s.finishes = &grouped[usher.JobFinish]{write: s.finishJobs, most: groupMost}
	s.marks = &grouped[usher.EchoMark]{write: s.markEchoes, most: groupMost}
	return s
}

// groupMost bounds a group of single-row writes: two import batches'
// worth, a transaction of a few milliseconds.
const groupMost = 100

// Driver returns the engine under the store, for the engine's own
// operations (SQLite's writer saturation, benchmarks' raw pools).
func (s *Store) Driver() driver.Driver { return s.d }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.d.Ping(ctx) }

// Close releases the engine's connections.
func (s *Store) Close() error { return s.d.Close() }

// SetWriterSaturatedAfter passes the writer's saturation limit to an
// engine that has a single writer (SQLite); others ignore it.
func (s *Store) SetWriterSaturatedAfter(d time.Duration) {
	if w, ok := s.d.(interface{ SetWriterSaturatedAfter(time.Duration) }); ok {
		w.SetWriterSaturatedAfter(d)
	}
}

// read returns a read's value, or its failure as EUNAVAILABLE naming op:
// the caller answers 503 and its client retries. (Writes are reported by
// the driver's InTx.)
func read[T any](op string) func(T, error) (T, error) {
	return func(v T, err error) (T, error) {
		if err != nil {
			var zero T
			return zero, unavailable(op, err)
		}
		return v, nil
	}
}

// unavailable wraps a failure of the database outside a transaction as
// EUNAVAILABLE (InTx reports its own): the caller answers 503 and is
// retried.
func unavailable(op string, err error) error {
	return &usher.Error{Code: usher.EUNAVAILABLE, Message: "database unavailable", Err: fmt.Errorf("store: %s: %w", op, err)}
}

// readEach returns a read's rows, each decoded, or the read's failure as
// EUNAVAILABLE naming op.
func readEach[R, T any](op string, decode func(R) (T, error)) func([]R, error) ([]T, error) {
	return func(rows []R, err error) ([]T, error) {
		if err != nil {
			return nil, unavailable(op, err)
		}
		out := make([]T, 0, len(rows))
		for _, r := range rows {
			t, err := decode(r)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
		return out, nil
	}
}
