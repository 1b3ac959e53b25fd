package main

import (
	"context"
	"sync"
	"time"

	"github.com/usher-hub/usher/internal/analytics"
	"github.com/usher-hub/usher/internal/metrics"
)

// wireProjector runs the analytics projector, which applies stored
// documents to the report rollups shortly after ingest acknowledged them
// (analytics.project_interval, project_orders, project_max_lag); it holds
// off while pushes are busy (ingest's Busy).
func wireProjector(ctx context.Context, a *app, busy func() bool) {
	interval, orders, maxLag := a.cfg.Analytics.Projector()
	p := analytics.NewProjector(a.store, analytics.ProjectorConfig{Interval: interval, Orders: orders, MaxLag: maxLag, Busy: busy},
		metrics.NewAnalytics(a.registry), a.logger.With("worker", "analytics"), time.Now)
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(runCtx) })
	a.closers = append(a.closers, func() error {
		cancel()
		wg.Wait()
		return nil
	})
}
