package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// MaxPruneBatch bounds the rows one batch of pruning examines, so one
// transaction never holds SQLite's single writer for long.
const MaxPruneBatch = 5000

var _ usher.Pruner = (*Store)(nil)

// PruneBatch examines at most limit rows of rule received before cutoff,
// after the cursor, and removes, in one transaction, those that may go
// (prunable). See usher.Pruner.
func (s *Store) PruneBatch(ctx context.Context, rule usher.RetentionRule, cutoff time.Time, after usher.PruneCursor, limit int) (usher.PruneResult, error) {
	if err := rule.Validate(); err != nil {
		return usher.PruneResult{}, err
	}
	var res usher.PruneResult
	var held time.Duration
	err := s.d.InTx(ctx, "prune", func(ctx context.Context, x driver.Executor) error {
		began := time.Now()
		defer func() { held = time.Since(began) }()
		rows, err := prunableRows(ctx, x, rule, cutoff, after, limit)
		if err != nil {
			return err
		}
		var ids []int64
		res, ids = decidePrune(rule, cutoff, after, limit, rows)
		if len(ids) == 0 {
			return nil
		}
		n, err := deleteRows(ctx, x, rule, ids)
		if err != nil {
			return err
		}
		if n != int64(len(ids)) {
			return fmt.Errorf("prune %s: deleted %d rows of %d", rule, n, len(ids))
		}
		return nil
	})
	if err != nil {
		return usher.PruneResult{}, unavailable("prune", err)
	}
	res.Held = held
	return res, nil
}

// CountPrunable is PruneBatch without the removal: the dry run.
func (s *Store) CountPrunable(ctx context.Context, rule usher.RetentionRule, cutoff time.Time, after usher.PruneCursor, limit int) (usher.PruneResult, error) {
	if err := rule.Validate(); err != nil {
		return usher.PruneResult{}, err
	}
	rows, err := prunableRows(ctx, s.d, rule, cutoff, after, limit)
	if err != nil {
		return usher.PruneResult{}, unavailable("prune dry run", err)
	}
	res, _ := decidePrune(rule, cutoff, after, limit, rows)
	return res, nil
}

// prunableRows reads the batch's candidates: rows received before cutoff.
func prunableRows(ctx context.Context, x driver.Executor, rule usher.RetentionRule, cutoff time.Time, after usher.PruneCursor, limit int) ([]driver.PrunableRow, error) {
	limit = batchLimit(limit)
	switch rule.Kind {
	case usher.RetainSuperseded:
		return x.PrunableVersions(ctx, rule.Institution, rule.Stream, cutoff, after, limit)
	case usher.RetainChecks:
		return x.PrunableChecks(ctx, rule.Institution, cutoff, after, limit)
	default:
		return x.PrunableQuarantined(ctx, rule.Institution, rule.Stream, cutoff, after, limit)
	}
}

func deleteRows(ctx context.Context, x driver.Executor, rule usher.RetentionRule, ids []int64) (int64, error) {
	switch rule.Kind {
	case usher.RetainSuperseded:
		return x.DeleteVersions(ctx, ids)
	case usher.RetainChecks:
		return x.DeleteChecks(ctx, rule.Institution, ids)
	default:
		return x.DeleteQuarantined(ctx, ids)
	}
}

// batchLimit bounds a batch to 1..MaxPruneBatch rows (500 when unset).
func batchLimit(limit int) int {
	switch {
	case limit <= 0:
		return 500
	case limit > MaxPruneBatch:
		return MaxPruneBatch
	}
	return limit
}

// decidePrune is retention's rule, written once: which of a batch's rows
// go, and what is kept and why.
//   - A version goes only once the version after it was received before
//     the cutoff (it has been superseded for the whole retention time).
//     The newest version has no next one, so it always stays, and with it
//     the numbering of the next version.
//   - The current version (head) never goes, even when a later-numbered
//     version exists (one that arrived out of order, older upstream).
//   - Nothing the projector has not applied goes (a queued version or
//     check), nor the order version the sales rollups hold (the projector
//     subtracts it when the order's head moves), nor a ticket check whose
//     order has not arrived (the projector moves it to its product then).
//     Reports read the rollups, so they keep their figures.
//   - A quarantined document goes once last pushed before the cutoff.
func decidePrune(rule usher.RetentionRule, cutoff time.Time, after usher.PruneCursor, limit int, rows []driver.PrunableRow) (usher.PruneResult, []int64) {
	res := usher.PruneResult{Examined: len(rows), Next: after, Done: len(rows) < batchLimit(limit)}
	var ids []int64
	for _, r := range rows {
		res.Next = usher.PruneCursor{At: r.At, ID: r.ID}
		switch {
		case rule.Kind == usher.RetainSuperseded && (r.Head || r.NextAt == nil || !r.NextAt.Before(cutoff)):
			res.KeptCurrent++
		case r.Pending || r.Applied || r.Unmatched:
			res.KeptProjection++
		default:
			ids = append(ids, r.ID)
		}
	}
	res.Pruned = len(ids)
	return res, ids
}

// RecordPrune adds the audit record of a run to the audit trail the
// erasures are kept in.
func (s *Store) RecordPrune(ctx context.Context, run usher.PruneRun) error {
	if run.Finished.IsZero() {
		run.Finished = s.now().UTC()
	}
	record, err := json.Marshal(run)
	if err != nil {
		return err
	}
	reason := fmt.Sprintf("retention: %s kept %s, pruned %d older than %s", run.Rule, run.Rule.Keep, run.Result.Pruned, run.Cutoff.Format(time.RFC3339))
	return s.d.InTx(ctx, "record prune", func(ctx context.Context, x driver.Executor) error {
		return x.InsertPruneRun(ctx, run.Rule.Institution, run.Actor, run.Finished, reason, record)
	})
}

// PruneRuns lists an institution's audit records of pruning, newest first.
func (s *Store) PruneRuns(ctx context.Context, institution string) ([]usher.PruneRun, error) {
	return readEach("prune runs", func(rec []byte) (usher.PruneRun, error) {
		var run usher.PruneRun
		if err := json.Unmarshal(rec, &run); err != nil {
			return run, fmt.Errorf("prune run record: %w", err)
		}
		return run, nil
	})(s.d.ListPruneRuns(ctx, institution))
}
