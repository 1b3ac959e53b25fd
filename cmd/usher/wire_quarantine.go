package main

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/usher-hub/usher/internal/config"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/quarantine"
	"github.com/usher-hub/usher/internal/schema"
)

// newValidator loads the built-in schemas and the overrides in
// cfg.SchemaDir; schema drift goes to logger and, when reg is not nil, to
// usher_schema_unknown_fields_total on reg. A broken override file stops
// startup with the file and line, rather than validating against
// something nobody wrote.
func newValidator(cfg config.Config, reg prometheus.Registerer, logger *slog.Logger) (*schema.Registry, error) {
	var unknown *prometheus.CounterVec
	if reg != nil {
		unknown = metrics.NewSchema(reg).UnknownFields
	}
	return schema.Load(cfg.SchemaDir, schema.NewDriftReporter(logger, unknown))
}

// wireQuarantine mounts GET /api/v1/quarantine behind the API keys.
func wireQuarantine(a *app) {
	h := a.apiKeys.Require(a.logger, quarantine.NewHandler(a.store, a.logger))
	a.mounts = append(a.mounts, func(mux *http.ServeMux) {
		mux.Handle("GET /api/v1/quarantine", h)
	})
}
