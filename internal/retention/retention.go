// Package retention runs the retention rules of the configuration over
// the store's Pruner: every rule to its end in bounded batches, each its
// own short transaction, audited when anything went. The command `usher
// prune` and the server's background pruner (Worker) share it; what may
// be pruned is decided by the store (internal/store/retention.go).
package retention

import (
	"context"
	"log/slog"
	"time"

	"github.com/usher-hub/usher"
)

// Options tune a run.
type Options struct {
	// BatchSize is how many rows one transaction examines.
	BatchSize int
	// DryRun counts what would go and removes nothing.
	DryRun bool
	// Actor is who ran it, kept in the audit record.
	Actor string
	// Now is the clock the cutoffs are taken from (time.Now when nil).
	Now func() time.Time
	// Between is called between two batches with how long the batch
	// just done held the database (PruneResult.Held; its whole time when
	// the Pruner does not say) and took in all, for Pacer.Wait: a pruner
	// running beside pushes waits there while they are busy. It returns
	// ctx's error to stop.
	Between func(ctx context.Context, held, took time.Duration) error
	// Progress is called after each batch.
	Progress func(rule usher.RetentionRule, batch usher.PruneResult)
}

// Run applies rules in turn and returns one record per rule (audited,
// unless a dry run, when it pruned anything). It stops at the first error,
// returning the records of the rules done.
func Run(ctx context.Context, p usher.Pruner, rules []usher.RetentionRule, o Options) ([]usher.PruneRun, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	var runs []usher.PruneRun
	for _, rule := range rules {
		run := usher.PruneRun{Rule: rule, Actor: o.Actor, Started: now().UTC()}
		run.Cutoff = rule.Cutoff(run.Started)
		batch := p.PruneBatch
		if o.DryRun {
			batch = p.CountPrunable
		}
		for after := (usher.PruneCursor{}); ; {
			began := time.Now()
			b, err := batch(ctx, rule, run.Cutoff, after, o.BatchSize)
			took, held := time.Since(began), b.Held
			if held <= 0 {
				held = took
			}
			if err != nil {
				return runs, err
			}
			run.Result.Add(b)
			if o.Progress != nil {
				o.Progress(rule, b)
			}
			if after = b.Next; b.Done {
				break
			}
			if o.Between != nil {
				if err := o.Between(ctx, held, took); err != nil {
					return runs, err
				}
			}
		}
		run.Finished = now().UTC()
		if !o.DryRun && run.Result.Pruned > 0 {
			if err := p.RecordPrune(ctx, run); err != nil {
				return runs, err
			}
		}
		runs = append(runs, run)
	}
	return runs, nil
}

// Worker prunes in the background, every Interval.
type Worker struct {
	Pruner    usher.Pruner
	Rules     []usher.RetentionRule
	Interval  time.Duration
	BatchSize int
	// Pacer spaces the batches while pushes are busy (its Busy: pushes
	// waiting for one another) so pushes come first; nil never waits.
	Pacer *Pacer
	// Pruned, when set, is told the rows each batch removed.
	Pruned func(rule usher.RetentionRule, n int)
	Logger *slog.Logger
}

// Run prunes until ctx ends: first after one Interval, so a restart loop
// does not prune on every start.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.Once(ctx)
	}
}

// Once runs every rule to its end.
func (w *Worker) Once(ctx context.Context) {
	runs, err := Run(ctx, w.Pruner, w.Rules, Options{
		BatchSize: w.BatchSize,
		Actor:     "usher serve (retention)",
		Between:   w.pause,
		Progress: func(rule usher.RetentionRule, b usher.PruneResult) {
			if w.Pruned != nil && b.Pruned > 0 {
				w.Pruned(rule, b.Pruned)
			}
		},
	})
	for _, r := range runs {
		if r.Result.Pruned > 0 {
			w.Logger.Info("pruned", "rule", r.Rule.String(), "keep", r.Rule.Keep, "pruned", r.Result.Pruned,
				"kept_current", r.Result.KeptCurrent, "kept_for_projection", r.Result.KeptProjection, "took", r.Finished.Sub(r.Started))
		}
	}
	if err != nil && ctx.Err() == nil {
		w.Logger.Warn("pruning failed; the next run goes on from the start", "err", err)
	}
}

// pause is what the worker does between two batches: the pacer's wait.
func (w *Worker) pause(ctx context.Context, held, took time.Duration) error {
	if w.Pacer == nil {
		return ctx.Err()
	}
	return w.Pacer.Wait(ctx, held, took)
}
