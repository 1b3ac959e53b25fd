package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/config"
	"github.com/usher-hub/usher/internal/httpapi"
	"github.com/usher-hub/usher/internal/httpx"
	"github.com/usher-hub/usher/internal/ingest"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/store"
)

// configFlags are the flags every command that reads the configuration takes.
type configFlags struct {
	path     string
	listen   string
	database string
}

func (c *configFlags) register(fs *flag.FlagSet, e env) {
	fs.StringVar(&c.path, "config", e.getenv("USHER_CONFIG"), "configuration file (YAML); env USHER_CONFIG")
	fs.StringVar(&c.listen, "listen", "", "listen address, overriding the configuration")
	fs.StringVar(&c.database, "database", "", "database (sqlite:PATH or postgres://…), overriding the configuration")
}

func (c *configFlags) load(e env) (config.Config, error) {
	cfg, err := config.Load(c.path, e.getenv)
	if err != nil {
		return cfg, err
	}
	if c.listen != "" {
		cfg.Listen = c.listen
	}
	if c.database != "" {
		cfg.Database = c.database
	}
	return cfg, cfg.Validate()
}

func newLogger(w io.Writer, cfg config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// app is a wired usher server: its store and its HTTP handler.
type app struct {
	cfg      config.Config
	logger   *slog.Logger
	store    usher.Store
	registry *prometheus.Registry
	apiKeys  *httpx.APIKeys
	// mounts add API routes; each feature's wire_*.go appends to it.
	mounts  []func(mux *http.ServeMux)
	handler http.Handler
}

// newApp opens the store and wires every face onto one handler.
func newApp(ctx context.Context, cfg config.Config, logger *slog.Logger) (*app, error) {
	st, err := store.Open(ctx, cfg.Database, time.Now)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ingestMetrics := metrics.NewIngest(reg)
	institutions := cfg.DomainInstitutions()
	svc := ingest.NewService(st, ingestMetrics, logger)
	a := &app{cfg: cfg, logger: logger, store: st, registry: reg, apiKeys: httpx.NewAPIKeys(cfg.DomainAPIKeys())}
	if err := wireAnalytics(a); err != nil {
		st.Close()
		return nil, err
	}
	a.handler = httpapi.NewHandler(httpapi.Deps{
		Logger:   logger,
		Gatherer: reg,
		Ready:    st,
		Ingest:   ingest.NewHandler(svc, institutions, cfg.MaxBodyBytes, ingestMetrics, logger),
		Mount:    a.mounts,
	})
	return a, nil
}

func (a *app) Close() error { return a.store.Close() }

func describeDatabase(cfg config.Config) string {
	return fmt.Sprintf("%s (%s)", store.Engine(cfg.Database), cfg.Redacted().Database)
}
