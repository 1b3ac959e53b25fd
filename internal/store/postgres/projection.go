package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/usher-hub/usher"
)

// errProjectionBusy says another replica holds the projection lock.
var errProjectionBusy = errors.New("another projector is running")

// analyzeGrown refreshes, on conn, before the projection is planned, the
// statistics of the tables StaleStatistics lists: those the projection
// joins that have grown to more than twice their size at their last
// ANALYZE. A new database is filled far faster than autovacuum (one look
// a minute) refreshes their statistics, and with a table believed to hold
// three rows the planner drove a batch from a scan of every order head or
// every order: a batch of 100 orders took 1.1 s at 5,000 orders and kept
// slowing down.
func analyzeGrown(ctx context.Context, conn *pgxpool.Conn) error {
	rows, err := conn.Query(ctx, queries.Get("StaleStatistics"))
	if err != nil {
		return err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, table := range tables {
		if _, err := conn.Exec(ctx, `ANALYZE `+pgx.Identifier{table}.Sanitize()); err != nil {
			return err
		}
	}
	return nil
}

// ProjectAnalytics applies the analytics queue; see usher.AnalyticsStore.
func (s *Store) ProjectAnalytics(ctx context.Context, orderLimit int) (usher.Projection, error) {
	var p usher.Projection
	err := s.withProjectionLock(ctx, false, func(tx pgx.Tx) error {
		// The batch's row estimates (unnest, CTEs) are guesses that cross
		// the JIT threshold: compiling cost more than a whole batch. And
		// each projection is planned afresh: a plan cached while the
		// tables were small (a new database, before autovacuum's first
		// ANALYZE) scanned every order head per batch, so a batch slowed
		// down as history grew (1.1 s at 5,000 orders). Planning costs
		// a millisecond a batch.
		if _, err := tx.Exec(ctx, queries.Get("ProjectionSettings")); err != nil {
			return err
		}
		var oldest *time.Time
		err := tx.QueryRow(ctx, queries.Get("Project"), orderLimit).
			Scan(&p.Checks, &p.Contacts, &p.Orders, &p.Pending, &oldest, &p.Partial)
		p.OldestPending = oldest
		return err
	})
	if errors.Is(err, errProjectionBusy) {
		return usher.Projection{Busy: true}, nil
	}
	if err != nil {
		return usher.Projection{}, unavailable("project analytics", err)
	}
	return p, nil
}

// withProjectionLock runs fn in a REPEATABLE READ transaction while
// holding the projection lock, the session advisory lock that one
// projector or rebuild at a time holds, across replicas: waiting for it if wait, else returning
// errProjectionBusy when another session holds it.
//
// The lock is a session lock taken before the transaction begins: the
// snapshot must be taken after the previous holder committed, or its
// rollup updates would be invisible and ours would fail to serialise.
func (s *Store) withProjectionLock(ctx context.Context, wait bool, fn func(pgx.Tx) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if wait {
		_, err = conn.Exec(ctx, queries.Get("ProjectionLock"))
	} else {
		var got bool
		err = conn.QueryRow(ctx, queries.Get("ProjectionTryLock")).Scan(&got)
		if err == nil && !got {
			return errProjectionBusy
		}
	}
	if err != nil {
		return err
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), queries.Get("ProjectionUnlock")); err != nil {
			// A session that cannot unlock must not go back to the pool
			// holding the lock: closing it releases the lock.
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	if err := analyzeGrown(ctx, conn); err != nil {
		return fmt.Errorf("statistics: %w", err)
	}
	return pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, fn)
}

// The steps of a rebuild, statements of queries/projection.sql run in
// turn with the institution.
var (
	// clearRollups empties the rollups of $1.
	clearRollups = []string{"RebuildClearAttendance", "RebuildClearGates", "RebuildClearMovementAttendance",
		"RebuildClearMovements", "RebuildClearSales", "RebuildClearContacts"}
	// fillRollups fills the emptied rollups of $1 from its documents
	// set-wise.
	fillRollups = []string{"RebuildAttendance", "RebuildGates", "RebuildContacts", "RebuildSalesOrders",
		"RebuildSalesLines", "RebuildMovements", "RebuildMovementAttendance"}
	// resetQueue ends a rebuild of $1: the rebuild read every document of
	// its snapshot, so the entries queued before it are applied, and the
	// rollups now hold each order's head.
	resetQueue = []string{"ForgetQueue", "ForgetApplied", "ResetApplied"}
)

// RebuildAnalyticsSteps recomputes institution's projections in one
// transaction, set-wise from the views the projector uses: at a million
// orders, applying them one by one would take hours. The conformance
// suite checks that both paths agree.
//
// It calls step before the
// first of its statements (done 0) and after each, so `usher report
// rebuild` can show its progress.
func (s *Store) RebuildAnalyticsSteps(ctx context.Context, institution string, step func(done, total int)) error {
	steps := slices.Concat(clearRollups, fillRollups, resetQueue)
	err := s.withProjectionLock(ctx, true, func(tx pgx.Tx) error {
		if step != nil {
			step(0, len(steps))
		}
		for i, name := range steps {
			if _, err := exec(ctx, tx, name, institution); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if step != nil {
				step(i+1, len(steps))
			}
		}
		return nil
	})
	if err != nil {
		return unavailable("rebuild analytics", err)
	}
	return nil
}
