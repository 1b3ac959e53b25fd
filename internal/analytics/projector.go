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
// not wait for rollups; the projector applies the queue, one batch every
// Interval. Pushes come first: while the oldest queued document is younger
// than MaxLag, a batch that left more queued waits for the next tick, so
// a burst of pushes is acknowledged at full speed and projected shortly
// after; once the queue is older than MaxLag, batches run back to back
// until it is not. While pushes wait for one another (Busy), the projector
// also skips up to holdTicks ticks in a row: on two cores a batch takes
// the CPU, or on SQLite the single writer, from the pushes queued behind
// it. On PostgreSQL every replica may run one: one
// projection runs at a time and the others skip their turn.
type Projector struct {
	store   usher.AnalyticsStore
	cfg     ProjectorConfig
	metrics *metrics.Analytics
	logger  *slog.Logger
	now     func() time.Time

	// heldSince is when the projector first held off for Busy since its
	// last batch; zero while it is not holding off.
	heldSince time.Time
	// behindNow says the last batch left the queue older than MaxLag.
	behindNow bool
}

// ProjectorConfig paces a Projector.
type ProjectorConfig struct {
	// Interval is the time between batches while the queue is fresh.
	Interval time.Duration
	// Orders bounds the order versions one batch applies.
	Orders int
	// MaxLag is the age of the oldest queued document beyond which batches
	// run back to back.
	MaxLag time.Duration
	// Busy reports whether pushes are waiting for one another now (nil:
	// never). The projector then holds off for up to MaxLag.
	Busy func() bool
}

// NewProjector returns a projector applying store's queue as cfg says.
func NewProjector(store usher.AnalyticsStore, cfg ProjectorConfig, m *metrics.Analytics, logger *slog.Logger, now func() time.Time) *Projector {
	return &Projector{store: store, cfg: cfg, metrics: m, logger: logger, now: now}
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
		if p.holdOff() {
			timer.Reset(p.cfg.Interval)
			continue
		}
		res, err := p.Once(ctx)
		p.heldSince = time.Time{}
		p.behindNow = err == nil && p.behind(res)
		next := p.cfg.Interval
		if p.behindNow {
			next = 0
		}
		timer.Reset(next)
	}
}

// holdTicks bounds how many ticks in a row the projector skips for busy
// pushes. A burst (an S-360 export run of a few thousand documents takes
// well under a second) then goes without a batch in its middle, while a
// sustained load, such as a first synchronisation, is still projected
// every few ticks: holding off for the whole MaxLag there made each batch
// ten seconds' worth and the 2,500,000-document backfill 15 % slower end
// to end (docs/performance.md).
const holdTicks = 3

// holdOff says to skip this tick because pushes are busy, which it may do
// for holdTicks intervals (never beyond MaxLag) from the first tick
// skipped, and never while the queue is known to be older than MaxLag.
func (p *Projector) holdOff() bool {
	if p.cfg.Busy == nil || p.behindNow || !p.cfg.Busy() {
		return false
	}
	now := p.now()
	if p.heldSince.IsZero() {
		p.heldSince = now
	}
	return now.Sub(p.heldSince) < min(holdTicks*p.cfg.Interval, p.cfg.MaxLag)
}

// behind says a batch left work queued for longer than MaxLag.
func (p *Projector) behind(res usher.Projection) bool {
	return res.Partial && res.OldestPending != nil && p.now().Sub(*res.OldestPending) >= p.cfg.MaxLag
}

// Once runs one projection and records it.
func (p *Projector) Once(ctx context.Context) (usher.Projection, error) {
	start := time.Now()
	res, err := p.store.ProjectAnalytics(ctx, p.cfg.Orders)
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
