package metrics

import "github.com/prometheus/client_golang/prometheus"

// Analytics holds the collectors of the analytics projector.
type Analytics struct {
	// Projected counts what the projector applied, by kind (checks,
	// contacts, orders).
	Projected *prometheus.CounterVec
	// Queued is how many entries wait for the projector after its last run.
	Queued prometheus.Gauge
	// Lag is how old the oldest waiting entry was after the last run: how
	// far the reports are behind ingest.
	Lag prometheus.Gauge
	// Failures counts projections that failed (the queue stays and the
	// next run applies it).
	Failures prometheus.Counter
	Duration prometheus.Histogram
}

// NewAnalytics creates and registers the projector's collectors on reg.
func NewAnalytics(reg prometheus.Registerer) *Analytics {
	m := &Analytics{
		Projected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_analytics_projected_total",
			Help: "Documents applied to the report projections, by kind (checks, contacts, orders).",
		}, []string{"kind"}),
		Queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "usher_analytics_queue_entries",
			Help: "Stored documents waiting for the analytics projector after its last run.",
		}),
		Lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "usher_analytics_lag_seconds",
			Help: "Age of the oldest document waiting for the analytics projector after its last run (0 when none waits).",
		}),
		Failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "usher_analytics_projection_failures_total",
			Help: "Analytics projections that failed; the queue is kept and applied by the next run.",
		}),
		Duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "usher_analytics_projection_duration_seconds",
			Help:    "Time one analytics projection took.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
	}
	reg.MustRegister(m.Projected, m.Queued, m.Lag, m.Failures, m.Duration)
	return m
}
