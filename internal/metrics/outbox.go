package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outbox holds the collectors of the outbox, its workers and the calls
// they make (CRM deliveries, S-360 writes).
type Outbox struct {
	// Attempts counts finished attempts by kind and outcome (done, retry,
	// snoozed, failed, lease_lost).
	Attempts *prometheus.CounterVec
	Duration *prometheus.HistogramVec
	// UpstreamCalls counts S-360 API calls by institution, method and
	// HTTP status ("0" when no answer came).
	UpstreamCalls *prometheus.CounterVec
	// Deliveries counts CRM delivery attempts by institution, destination
	// and HTTP status.
	Deliveries *prometheus.CounterVec
	// Conflicts counts CRM writes to contacts S-360 had changed too.
	Conflicts *prometheus.CounterVec
	// Resolutions counts S-360 writes whose answer was lost and whose
	// outcome usher established by reading back, by institution, kind and
	// outcome (found: it had happened; absent: it had not, written again;
	// update_resent: an update, harmless to send again).
	Resolutions *prometheus.CounterVec
}

// NewOutbox creates and registers the outbox collectors on reg.
func NewOutbox(reg prometheus.Registerer) *Outbox {
	m := &Outbox{
		Attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_outbox_attempts_total",
			Help: "Outbox job attempts finished, by kind and outcome (done, retry, snoozed, failed, lease_lost).",
		}, []string{"kind", "outcome"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "usher_outbox_attempt_duration_seconds",
			Help:    "Time an outbox attempt took, rate-limit wait included, by kind.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"kind"}),
		UpstreamCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_upstream_calls_total",
			Help: "S-360 API calls made, by institution, method and HTTP status (0: no answer).",
		}, []string{"institution", "method", "status"}),
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_crm_deliveries_total",
			Help: "CRM delivery attempts, by institution, destination and HTTP status (0: no answer).",
		}, []string{"institution", "destination", "status"}),
		Conflicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_crm_conflicts_total",
			Help: "CRM contact writes accepted while an S-360 change of the same contact was still on its way to the CRM.",
		}, []string{"institution"}),
		Resolutions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_s360_resolutions_total",
			Help: "S-360 writes whose answer was lost, resolved by reading back, by institution, kind and outcome (found, absent, update_resent).",
		}, []string{"institution", "kind", "outcome"}),
	}
	reg.MustRegister(m.Attempts, m.Duration, m.UpstreamCalls, m.Deliveries, m.Conflicts, m.Resolutions)
	return m
}

// Reading is one labelled value of a Snapshot.
type Reading struct {
	Labels []string
	Value  float64
}

// Snapshot is a gauge read when Prometheus scrapes: queue depths, rate
// headroom, breaker states. The read is bounded, so a slow database never
// hangs a scrape; a failed read reports nothing.
type Snapshot struct {
	desc *prometheus.Desc
	read func(ctx context.Context) ([]Reading, error)
}

// NewSnapshot creates and registers a snapshot gauge on reg.
func NewSnapshot(reg prometheus.Registerer, name, help string, labels []string, read func(ctx context.Context) ([]Reading, error)) *Snapshot {
	s := &Snapshot{desc: prometheus.NewDesc(name, help, labels, nil), read: read}
	reg.MustRegister(s)
	return s
}

// Describe implements prometheus.Collector.
func (s *Snapshot) Describe(ch chan<- *prometheus.Desc) { ch <- s.desc }

// Collect implements prometheus.Collector.
func (s *Snapshot) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	readings, err := s.read(ctx)
	if err != nil {
		return
	}
	for _, r := range readings {
		ch <- prometheus.MustNewConstMetric(s.desc, prometheus.GaugeValue, r.Value, r.Labels...)
	}
}
