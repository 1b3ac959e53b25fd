package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/wait"
)

// checkSlice, contactSlice and orderSlice bound the checks, contact
// versions and order versions one projection applies, whatever the
// caller's limit. A projection holds the single writer, so a push that
// arrives meanwhile waits for it: a slice keeps that wait to about ten
// milliseconds (docs/performance.md).
const (
	checkSlice   = 250
	contactSlice = 250
	orderSlice   = 50
)

// The steps of the projector and of a rebuild, statements of
// queries/projection.sql run in turn with the same arguments (run).
var (
	// projectChecks applies the queued checks before entry ?1 to the
	// check rollups.
	projectChecks = []string{"ProjectChecksAttendance", "ProjectChecksGates", "ProjectChecksMovementAttendance"}
	// projectContacts applies the queued contact versions before entry ?1.
	projectContacts = []string{"ProjectContacts"}
	// applyOrders replaces, for each order of analytics_order_batch
	// (filled by BatchOrders with the orders of the first ?1 queued
	// versions whose head is not the version the rollups hold), the
	// version the rollups hold with its head, set-wise (PostgreSQL's
	// analytics_apply_orders): the sales rollups lose the old version's
	// lines and gain the new one's, and the movements the orders held or
	// now claim are relinked, their checks moving between unmatched and
	// matched rows through 003's analytics_shift_ops trigger. A movement
	// claimed by two new versions goes to the later one, as in a rebuild.
	//
	// ApplyOrdersLines reads the lines of the batch's versions as 003's
	// order_lines view does, from JSONB parsed once per version. Through
	// the view, every line parsed its order's JSON text again for each
	// field, six times the cost (docs/performance.md). The conformance
	// suite checks that a batch and a rebuild (which reads the view)
	// agree, odd values included.
	applyOrders = []string{"ApplyOrdersVersions", "ApplyOrdersFacts", "ApplyOrdersLines", "ApplyOrdersSales",
		"ApplyOrdersOldMovements", "ApplyOrdersNewMovements", "ApplyOrdersUnmatchChecks", "ApplyOrdersUnlinkMovements",
		"ApplyOrdersLinkMovements", "ApplyOrdersMatchChecks", "ApplyOrdersApplied",
		"ApplyOrdersClearMovementWork", "ApplyOrdersClearLines", "ApplyOrdersClearVersions"}
	// clearRollups empties the rollups of ?1.
	clearRollups = []string{"RebuildClearAttendance", "RebuildClearGates", "RebuildClearMovementAttendance",
		"RebuildClearMovements", "RebuildClearSales", "RebuildClearContacts"}
	// fillRollups fills the emptied rollups of ?1 from its documents
	// set-wise: the oracle the conformance suite holds the projector to.
	fillRollups = []string{"RebuildAttendance", "RebuildGates", "RebuildContacts", "RebuildSalesOrders",
		"RebuildSalesLines", "RebuildMovements", "RebuildMovementAttendance"}
	// requeue starts a rebuild of ?1 once its rollups are empty: it
	// queues every stored check, every contact version and every order's
	// head for the projector, as ingest queued them, at ?2. Later pushes
	// queue their own documents behind these, so each document is
	// counted once.
	requeue = []string{"ForgetQueue", "ForgetApplied", "RequeueChecks", "RequeueContacts", "RequeueOrders"}
	// resetQueue ends a rebuild at once of ?1: it read every document, so
	// nothing of the institution is left to apply, and the rollups now
	// hold each order's head.
	resetQueue = []string{"ForgetQueue", "ForgetApplied", "ResetApplied"}
)

// run runs the statements called names on tx in turn, each with args.
func run(ctx context.Context, tx *sql.Tx, names []string, args ...any) error {
	for _, name := range names {
		if _, err := exec(ctx, tx, name, args...); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// ProjectAnalytics applies the analytics queue in one write transaction;
// see usher.AnalyticsStore.
func (s *Store) ProjectAnalytics(ctx context.Context, orderLimit int) (usher.Projection, error) {
	var p usher.Projection
	err := s.inWriteTx(ctx, "project analytics", func(ctx context.Context, tx *sql.Tx) error {
		p = usher.Projection{}
		end, sliced, err := sliceEnd(ctx, tx, "checks", checkSlice)
		if err != nil {
			return err
		}
		if p.Checks, err = projectQueued(ctx, tx, "checks", end, projectChecks); err != nil {
			return fmt.Errorf("checks: %w", err)
		}
		contactsEnd, contactsSliced, err := sliceEnd(ctx, tx, "contacts", contactSlice)
		if err != nil {
			return err
		}
		if p.Contacts, err = projectQueued(ctx, tx, "contacts", contactsEnd, projectContacts); err != nil {
			return fmt.Errorf("contacts: %w", err)
		}
		p.Partial = sliced || contactsSliced
		// Orders move checks between matched and unmatched rows: only
		// once every queued check is counted, so that they move only
		// counted checks.
		if !sliced {
			var full bool
			if p.Orders, full, err = projectOrders(ctx, tx, min(orderLimit, orderSlice)); err != nil {
				return fmt.Errorf("orders: %w", err)
			}
			p.Partial = p.Partial || full
		}
		return queueState(ctx, tx, &p)
	})
	return p, err
}

// sliceEnd returns the queue entry before which this projection applies
// entries of kind: the first after a slice of n, and whether the slice
// left some.
func sliceEnd(ctx context.Context, tx *sql.Tx, kind string, n int) (int64, bool, error) {
	var end int64
	err := tx.QueryRowContext(ctx, queries.Get("QueueSliceEnd"), kind, n).Scan(&end)
	if err == sql.ErrNoRows {
		return math.MaxInt64, false, nil
	}
	return end, err == nil, err
}

// projectQueued runs the steps over the queued entries of kind before
// entry end, then removes them from the queue and returns how many there
// were.
func projectQueued(ctx context.Context, tx *sql.Tx, kind string, end int64, steps []string) (int64, error) {
	if err := run(ctx, tx, steps, end); err != nil {
		return 0, err
	}
	return exec(ctx, tx, "Dequeue", kind, end)
}

// projectOrders applies the orders of the first limit queued versions
// and returns how many changed, and whether it read a full batch.
func projectOrders(ctx context.Context, tx *sql.Tx, limit int) (changed int64, full bool, err error) {
	var last sql.NullInt64
	var queued int
	err = tx.QueryRowContext(ctx, queries.Get("OrderBatchEnd"), limit).Scan(&last, &queued)
	if err != nil || !last.Valid {
		return 0, false, err
	}
	if changed, err = exec(ctx, tx, "BatchOrders", limit); err != nil {
		return 0, false, err
	}
	if changed > 0 {
		if err := run(ctx, tx, applyOrders); err != nil {
			return 0, false, err
		}
	}
	if _, err := exec(ctx, tx, "ClearOrderBatch"); err != nil {
		return 0, false, err
	}
	// The writer is single, so no entry below last can still appear.
	_, err = exec(ctx, tx, "DequeueOrders", last.Int64)
	return changed, queued >= limit, err
}

// queueState reads how much is still queued and since when.
func queueState(ctx context.Context, tx *sql.Tx, p *usher.Projection) error {
	var oldest sql.NullString
	err := tx.QueryRowContext(ctx, queries.Get("QueueState")).Scan(&p.Pending, &oldest)
	if err != nil {
		return err
	}
	if oldest.Valid {
		t := parseTime(oldest.String)
		p.OldestPending = &t
	}
	return nil
}

// RebuildAnalyticsSteps recomputes institution's projections from its
// documents. One transaction over the whole history held SQLite's single
// writer for as long as it took (68 s at 150,000 documents), and every
// push meanwhile failed; so a rebuild empties the rollups and requeues the
// documents in one short transaction, then applies the queue in the
// projector's slices, each its own short transaction, pausing between
// them as long as each took so that the writers of other processes (a
// running server's pushes) get the lock. Reports are partial until it
// returns. The conformance suite checks that it agrees with the
// projector's increments.
//
// It tells step how many queued
// documents it has applied of how many, after each slice, so `usher
// report rebuild` can show its progress.
func (s *Store) RebuildAnalyticsSteps(ctx context.Context, institution string, step func(done, total int)) error {
	var last int64
	err := s.inWriteTx(ctx, "rebuild analytics", func(ctx context.Context, tx *sql.Tx) error {
		if err := run(ctx, tx, slices.Concat(clearRollups, requeue), institution, formatTime(s.now())); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, queries.Get("QueueLast")).Scan(&last)
	})
	if err != nil {
		return err
	}
	busy, total := 0, -1
	for {
		var left int
		if err := s.read.QueryRowContext(ctx, queries.Get("QueueLeft"), last).Scan(&left); err != nil {
			return unavailable("rebuild analytics", err)
		}
		if total < 0 {
			total = left
		}
		if step != nil {
			step(total-left, total)
		}
		if left == 0 {
			return nil
		}
		start := time.Now()
		if _, err := s.ProjectAnalytics(ctx, orderSlice); err != nil {
			// Another process's writer kept the lock past busy_timeout
			// (pushes under heavy load come first): the slices done are
			// committed, so wait and go on.
			if busy++; usher.ErrorCode(err) != usher.EUNAVAILABLE || busy > maxBusyRetries {
				return err
			}
		} else {
			busy = 0
		}
		if err := wait.Sleep(ctx, time.Since(start)); err != nil {
			return err
		}
	}
}

// maxBusyRetries is how many slices of a rebuild in a row may find the
// lock held past busy_timeout (10 s each) before the rebuild gives up.
const maxBusyRetries = 6

// rebuildAtOnce recomputes institution's projections in one write
// transaction, set-wise from the views the projector uses. It was
// RebuildAnalytics until a rebuild had to let pushes through; the tests
// hold the sliced rebuild to it.
func (s *Store) rebuildAtOnce(ctx context.Context, institution string) error {
	return s.inWriteTx(ctx, "rebuild analytics", func(ctx context.Context, tx *sql.Tx) error {
		return run(ctx, tx, slices.Concat(clearRollups, fillRollups, resetQueue), institution)
	})
}
