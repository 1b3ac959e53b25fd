package metrics

import "github.com/prometheus/client_golang/prometheus"

// Site holds the collectors of the website layer. A nil *Site records
// nothing, so tests need not build one.
type Site struct {
	UpstreamUp *prometheus.GaugeVec
	Syncs      *prometheus.CounterVec
	Invalid    *prometheus.CounterVec
	Holds      *prometheus.CounterVec
	Checkouts  *prometheus.CounterVec
}

// NewSite creates and registers the website layer's collectors on reg.
func NewSite(reg prometheus.Registerer) *Site {
	m := &Site{
		UpstreamUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "usher_site_upstream_up",
			Help: "1 while the institution's Centaman answered the last call, 0 while it is unreachable (the website layer fails closed).",
		}, []string{"institution"}),
		Syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_site_syncs_total",
			Help: "Syncs of the local copy of Centaman, by institution, stream and result (ok, error).",
		}, []string{"institution", "stream", "result"}),
		Invalid: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_site_invalid_documents_total",
			Help: "Centaman documents refused by their schema and left out of the copy, by institution and stream.",
		}, []string{"institution", "stream"}),
		Holds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_site_holds_total",
			Help: "Website hold requests, by institution and outcome (created, extended, refused, released, expired, error).",
		}, []string{"institution", "outcome"}),
		Checkouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_site_checkouts_total",
			Help: "Website checkout requests, by institution and outcome (sold, replayed, reconciled, refused, unknown, in_progress).",
		}, []string{"institution", "outcome"}),
	}
	reg.MustRegister(m.UpstreamUp, m.Syncs, m.Invalid, m.Holds, m.Checkouts)
	return m
}

// SetUpstreamUp records whether an institution's Centaman answers.
func (m *Site) SetUpstreamUp(institution string, up bool) {
	if m == nil {
		return
	}
	v := 0.0
	if up {
		v = 1
	}
	m.UpstreamUp.WithLabelValues(institution).Set(v)
}

// Sync counts one sync of a stream.
func (m *Site) Sync(institution, stream string, ok bool) {
	if m == nil {
		return
	}
	result := "ok"
	if !ok {
		result = "error"
	}
	m.Syncs.WithLabelValues(institution, stream, result).Inc()
}

// InvalidDocument counts a document refused by its schema.
func (m *Site) InvalidDocument(institution, stream string) {
	if m != nil {
		m.Invalid.WithLabelValues(institution, stream).Inc()
	}
}

// Hold counts one hold request's outcome.
func (m *Site) Hold(institution, outcome string) {
	if m != nil {
		m.Holds.WithLabelValues(institution, outcome).Inc()
	}
}

// Checkout counts one checkout request's outcome.
func (m *Site) Checkout(institution, outcome string) {
	if m != nil {
		m.Checkouts.WithLabelValues(institution, outcome).Inc()
	}
}
