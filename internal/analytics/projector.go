package analytics

import (
	"context"
	"log/slog"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/metrics"
)

// Projector keeps the report projections up with ingest. Storing a
// payload only queues its documents, so that S-360's acknowledgement does
// not wait for rollups; the projector applies the queue every interval,
// and again at once while a batch limit left more queued. On
// PostgreSQL every replica may run one: one projection runs at a time and
// the others return at once.
type Projector struct {
	store    usher.AnalyticsStore
	interval time.Duration
	orders   int
	metrics  *metrics.Analytics
	logger   *slog.Logger
	now      func() time.Time
}

// NewProjector returns a projector applying store's queue every interval,
// at most orders orders per projection.
func NewProjector(store usher.AnalyticsStore, interval time.Duration, orders int, m *metrics.Analytics, logger *slog.Logger, now func() time.Time) *Projector {
	return &Projector{store: store, interval: interval, orders: orders, metrics: m, logger: logger, now: now}
}

// Run projects until ctx ends.
func (p *Projector) Run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		next := p.interval
		if res, err := p.Once(ctx); err == nil && res.Partial {
			next = 0
		}
		timer.Reset(next)
	}
}

// Once runs one projection and records it.
func (p *Projector) Once(ctx context.Context) (usher.Projection, error) {
	start := time.Now()
	res, err := p.store.ProjectAnalytics(ctx, p.orders)
	p.metrics.Duration.Observe(time.Since(start).Seconds())
	if err != nil {
		if ctx.Err() == nil {
			p.metrics.Failures.Inc()
			p.logger.Warn("analytics projection failed; the queue is kept for the next run", "err", err)
		}
		return res, err
	}
	if res.Busy {
		return res, nil
	}
	p.metrics.Projected.WithLabelValues("checks").Add(float64(res.Checks))
	p.metrics.Projected.WithLabelValues("contacts").Add(float64(res.Contacts))
	p.metrics.Projected.WithLabelValues("orders").Add(float64(res.Orders))
	p.metrics.Queued.Set(float64(res.Pending))
	lag := 0.0
	if res.OldestPending != nil {
		lag = max(0, p.now().Sub(*res.OldestPending).Seconds())
	}
	p.metrics.Lag.Set(lag)
	return res, nil
}
