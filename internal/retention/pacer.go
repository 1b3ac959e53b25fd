package retention

import (
	"context"
	"time"

	"github.com/usher-hub/usher/internal/wait"
)

// Pacer spaces a pruner's batches while pushes are busy so that pruning
// holds the database about Share of the time: after a batch that held it
// for d (usher.PruneResult.Held: SQLite's single writer, a PostgreSQL
// connection) it waits d*(1-Share)/Share, bounded by MinWait and
// MaxWait. Time the batch spent waiting for the database (queued behind
// pushes for SQLite's writer or for a pool connection) counts as waited
// already: it cost pushes nothing. A batch that held the database long
// (the machine is loaded) is followed by a long wait, so the pruner backs
// off by itself; when pushes are not busy it does not wait at all, and
// pruning goes at full speed. The wait ends early once pushes stop being
// busy.
//
// Counting the queueing as work instead made a batch of 100 versions on
// PostgreSQL, which queued about 120 ms for one of the pool's
// connections behind 16 senders, wait as long again: 408 rows/s.
//
// A fixed wait could not do both: 200 ms between batches of 100 rows kept
// pushes' p99 within 20 % on SQLite but pruned only 435 rows/s under a
// sustained load, 40 minutes for a million (docs/performance.md).
type Pacer struct {
	// Share is the fraction of time batches may take while pushes are
	// busy, in (0, 1]; 1 (or 0) never waits.
	Share float64
	// MinWait and MaxWait bound one wait while pushes are busy: at least
	// a gap pushes can use, at most a stall of the pruner.
	MinWait, MaxWait time.Duration
	// Busy says pushes are waiting for one another; nil is never busy.
	Busy func() bool
	// Sleep waits d or until ctx ends (a timer when nil); tests record
	// the waits asked for instead.
	Sleep func(ctx context.Context, d time.Duration) error
}

// pollBusy is how often a wait asks again whether pushes are busy, so a
// pruner does not sleep through the quiet that follows a burst.
const pollBusy = 10 * time.Millisecond

// Wait is what a pruner does after a batch that held the database for
// held and took took in all (held when it does not know): nothing when
// pushes are not busy, else the duty cycle's wait (WaitFor). It returns
// ctx's error to stop.
func (p *Pacer) Wait(ctx context.Context, held, took time.Duration) error {
	for left := p.WaitFor(held, took); left > 0; left -= pollBusy {
		if err := ctx.Err(); err != nil {
			return err
		}
		if p.Busy == nil || !p.Busy() {
			break
		}
		if err := p.sleep(ctx, min(left, pollBusy)); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// WaitFor returns the wait after a batch while pushes are busy: the rest
// of a cycle of held/Share once the batch's time took is over
// (held*(1-Share)/Share when all of took was held), within [MinWait,
// MaxWait].
func (p *Pacer) WaitFor(held, took time.Duration) time.Duration {
	if p.Share <= 0 || p.Share >= 1 {
		return 0
	}
	w := time.Duration(float64(held)/p.Share) - max(took, held)
	w = max(w, p.MinWait)
	if p.MaxWait > 0 {
		w = min(w, p.MaxWait)
	}
	return w
}

func (p *Pacer) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	return wait.Sleep(ctx, d)
}
