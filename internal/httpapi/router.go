package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Pinger reports whether a dependency answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are the handlers and services the router mounts.
type Deps struct {
	Logger   *slog.Logger
	Gatherer prometheus.Gatherer
	// Ready is pinged by /readyz.
	Ready Pinger
	// Ingest serves POST /s360/{stream}/{institution}.
	Ingest http.Handler
	// Mount adds further routes (API faces) to the mux.
	Mount []func(mux *http.ServeMux)
	// Metrics serves GET /metrics (MetricsHandler); nil: Gatherer's
	// metrics without a token. MetricsElsewhere: not on this handler at
	// all, since a listener of its own serves them (MetricsOnly).
	Metrics          http.Handler
	MetricsElsewhere bool
	// TrustedProxies may name the client in X-Forwarded-For.
	TrustedProxies []netip.Prefix
}

// NewHandler returns the complete HTTP handler of a usher server.
func NewHandler(d Deps) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /s360/{stream}/{institution}", d.Ingest)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		JSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := d.Ready.Ping(ctx); err != nil {
			Error(w, r, d.Logger, err)
			return
		}
		JSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	if !d.MetricsElsewhere {
		metrics := d.Metrics
		if metrics == nil {
			metrics = MetricsHandler(d.Gatherer, "", nil, d.Logger)
		}
		mux.Handle("GET /metrics", metrics)
	}
	for _, mount := range d.Mount {
		mount(mux)
	}
	return Chain(mux, Recover(d.Logger), ClientAddress(d.TrustedProxies), AccessLog(d.Logger))
}
