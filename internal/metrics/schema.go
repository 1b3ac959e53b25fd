package metrics

import "github.com/prometheus/client_golang/prometheus"

// Schema holds the collectors of document validation.
type Schema struct {
	// UnknownFields counts fields the schemas do not know (schema drift),
	// once per field, institution and document type.
	UnknownFields *prometheus.CounterVec
}

// NewSchema creates and registers the validation collectors on reg.
func NewSchema(reg prometheus.Registerer) *Schema {
	m := &Schema{
		UnknownFields: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_schema_unknown_fields_total",
			Help: "Distinct document fields the schema in force does not know (schema drift), counted once each, by institution and document type.",
		}, []string{"institution", "doc_type"}),
	}
	reg.MustRegister(m.UnknownFields)
	return m
}
