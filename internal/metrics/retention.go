package metrics

import "github.com/prometheus/client_golang/prometheus"

// Retention holds the collectors of the background pruner.
type Retention struct {
	// Pruned counts rows removed by retention rules, by institution,
	// stream and kind (superseded_versions, checks, quarantined).
	Pruned *prometheus.CounterVec
}

// NewRetention creates and registers the pruner's collectors on reg.
func NewRetention(reg prometheus.Registerer) *Retention {
	m := &Retention{
		Pruned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_retention_pruned_rows_total",
			Help: "Stored rows removed by retention rules, by institution, stream and kind (superseded_versions, checks, quarantined).",
		}, []string{"institution", "stream", "kind"}),
	}
	reg.MustRegister(m.Pruned)
	return m
}
