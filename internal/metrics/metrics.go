// Package metrics defines usher's Prometheus collectors. They are created
// on a registry passed in, never on the global one, so tests and several
// servers in one process do not collide.
package metrics

import "github.com/prometheus/client_golang/prometheus"

// Ingest holds the collectors of the push receiver.
type Ingest struct {
	Documents *prometheus.CounterVec
	Payloads  *prometheus.CounterVec
	Latency   *prometheus.HistogramVec
}

// NewIngest creates and registers the ingest collectors on reg.
func NewIngest(reg prometheus.Registerer) *Ingest {
	m := &Ingest{
		Documents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_documents_total",
			Help: "Documents received, by stream, institution and outcome (stored, duplicate, quarantined, conflict: a ticket check whose id is stored with other content, kept in quarantine).",
		}, []string{"stream", "institution", "outcome"}),
		Payloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_payloads_total",
			Help: "Push payloads answered, by stream, institution and HTTP status.",
		}, []string{"stream", "institution", "status"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "usher_payload_duration_seconds",
			Help:    "Time from request to answer for push payloads, by stream.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"stream"}),
	}
	reg.MustRegister(m.Documents, m.Payloads, m.Latency)
	return m
}
