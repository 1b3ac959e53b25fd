package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/config"
	"github.com/usher-hub/usher/internal/documents"
	"github.com/usher-hub/usher/internal/httpapi"
	"github.com/usher-hub/usher/internal/ingest"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/web"
)

// configFlags are the flags every command that reads the configuration takes.
type configFlags struct {
	path     string
	listen   string
	database string
}

// commandFlags returns a command's flag set with the configuration flags
// registered, printing its errors and usage to stderr.
func commandFlags(name string, e env) (*flag.FlagSet, *configFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cf := &configFlags{}
	cf.register(fs, e)
	return fs, cf
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
	if err := cfg.Validate(); err != nil {
		return cfg, c.blameFlags(err)
	}
	return cfg, nil
}

// blameFlags names the flag, not the setting it overrode, when a value
// given on the command line is the one at fault (--database mysql://x is
// not USHER_DATABASE's mistake).
func (c *configFlags) blameFlags(err error) error {
	for _, f := range []struct{ value, setting, flag string }{
		{c.database, "database (USHER_DATABASE)", "--database"},
		{c.listen, "listen (USHER_LISTEN)", "--listen"},
	} {
		if f.value != "" && strings.HasPrefix(err.Error(), f.setting) {
			return errors.New(f.flag + strings.TrimPrefix(err.Error(), f.setting))
		}
	}
	return err
}

// openStore loads the configuration and opens the store it names: what
// every offline command (migrate, quarantine, contacts, report) needs.
func (c *configFlags) openStore(ctx context.Context, e env) (config.Config, usher.Store, error) {
	cfg, err := c.load(e)
	if err != nil {
		return cfg, nil, err
	}
	st, err := openDatabase(ctx, cfg)
	return cfg, st, err
}

// openDatabase opens (and migrates) the store cfg names; its errors name
// the database, so "unable to open database file" says which file.
func openDatabase(ctx context.Context, cfg config.Config) (usher.Store, error) {
	st, err := store.Open(ctx, cfg.Database, time.Now)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", cfg.Redacted().Database, err)
	}
	return st, nil
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
	apiKeys  *httpapi.APIKeys
	// mounts add API routes; each feature's wire_*.go appends to it.
	mounts []func(mux *http.ServeMux)
	// closers stop what features started (workers), before the store closes.
	closers []func() error
	handler http.Handler
	// metricsHandler serves metrics.listen when it is set (serve.go).
	metricsHandler http.Handler
	// mailbox, set by the demo, shows its mail catcher on the dashboard.
	mailbox web.Mailbox
	// arrayKeys names the lists diffs match by key (the schemas in force).
	arrayKeys documents.ArrayKeys
}

// newApp opens the store and wires every face onto one handler.
func newApp(ctx context.Context, cfg config.Config, logger *slog.Logger, opts ...appOption) (*app, error) {
	st, err := openDatabase(ctx, cfg)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ingestMetrics := metrics.NewIngest(reg)
	validator, err := newValidator(cfg, reg, logger)
	if err != nil {
		st.Close()
		return nil, err
	}
	institutions := cfg.DomainInstitutions()
	svc := ingest.NewService(st, validator, ingestMetrics, logger).WithMaxDocuments(cfg.Ingest.Documents())
	if s, ok := st.(interface{ SetWriterSaturatedAfter(time.Duration) }); ok { // SQLite's single writer
		s.SetWriterSaturatedAfter(cfg.Ingest.SaturatedAfter())
	}
	a := &app{cfg: cfg, logger: logger, store: st, registry: reg, apiKeys: httpapi.NewAPIKeys(cfg.DomainAPIKeys()),
		arrayKeys: arrayKeysOf(validator)}
	for _, o := range opts {
		o(a)
	}
	wireQuarantine(a)
	wireDocuments(a)
	if err := wireSite(ctx, a, validator); err != nil {
		st.Close()
		return nil, err
	}
	if err := wireDashboard(a); err != nil {
		st.Close()
		return nil, err
	}
	if err := wireCRM(ctx, a); err != nil {
		st.Close()
		return nil, err
	}
	wireProjector(ctx, a, svc.Busy)
	wireRetention(ctx, a, svc.Busy)
	wirePathIndexes(ctx, a)
	throttle := a.apiKeys.Throttle()
	deps := httpapi.Deps{
		Logger:   logger,
		Gatherer: reg,
		Ready:    st,
		Ingest:   ingest.NewHandler(svc, institutions, cfg.MaxBodyBytes, ingestMetrics, logger).WithThrottle(throttle),
		Mount:    a.mounts,
		Metrics:  httpapi.MetricsHandler(reg, cfg.Metrics.Token, throttle, logger),
		// A listener of its own serves /metrics when metrics.listen is set.
		MetricsElsewhere: cfg.Metrics.Listen != "",
		TrustedProxies:   cfg.TrustedProxyPrefixes(),
	}
	a.handler = httpapi.NewHandler(deps)
	if cfg.Metrics.Listen != "" {
		a.metricsHandler = httpapi.MetricsOnly(deps.Metrics, deps)
	}
	return a, nil
}

// Close stops the features' workers, newest first, then closes the store.
func (a *app) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	return errors.Join(append(errs, a.store.Close())...)
}

func describeDatabase(cfg config.Config) string {
	return fmt.Sprintf("%s (%s)", store.Engine(cfg.Database), cfg.Redacted().Database)
}
