package main

import (
	"context"
	"sync"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/retention"
)

// wireRetention runs the background pruner when any institution has a
// retention setting (pruning.interval, pruning.batch_size,
// pruning.busy_share): batches of batch_size rows, each its own short
// transaction, spaced while pushes are busy (ingest's Busy) so that they
// take busy_share of the time and pushes come first.
func wireRetention(ctx context.Context, a *app, busy func() bool) {
	rules := a.cfg.RetentionRules()
	p, ok := a.store.(usher.Pruner)
	if len(rules) == 0 || !ok {
		return
	}
	m := metrics.NewRetention(a.registry)
	w := &retention.Worker{
		Pruner: p, Rules: rules, Interval: a.cfg.Pruning.Interval, BatchSize: a.cfg.Pruning.BatchSize,
		Pacer: &retention.Pacer{Share: a.cfg.PruneBusyShare(), MinWait: pruneMinWait, MaxWait: pruneMaxWait, Busy: busy},
		Pruned: func(r usher.RetentionRule, n int) {
			m.Pruned.WithLabelValues(r.Institution, string(r.Stream), string(r.Kind)).Add(float64(n))
		},
		Logger: a.logger.With("worker", "retention"),
	}
	a.logger.Info("retention on", "rules", len(rules), "interval", a.cfg.Pruning.Interval, "batch_size", a.cfg.Pruning.BatchSize,
		"busy_share", w.Pacer.Share)
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { w.Run(runCtx) })
	a.closers = append(a.closers, func() error {
		cancel()
		wg.Wait()
		return nil
	})
}
