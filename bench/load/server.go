package load

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
	"github.com/usher-hub/usher/internal/config"
	"github.com/usher-hub/usher/internal/httpapi"
	"github.com/usher-hub/usher/internal/ingest"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/schema"
	"github.com/usher-hub/usher/internal/store"
)

// Institution is the one institution the in-process server accepts: basic
// auth, as most S-360 set-ups use.
var Institution = usher.Institution{
	Code:   "benchvenue",
	Policy: usher.PolicyQuarantine,
	Auth:   usher.PushAuth{Mode: usher.AuthBasic, Username: "s360", Secret: "bench-secret-0123456789", Header: "X-Api-Key"},
}

// Server is usher's push path in this process: the real store, service,
// handler, router and middleware on a loopback listener, with the HTTP
// server timeouts of `usher serve`. Running in-process lets one profile
// show where the server's time goes; every request it serves carries the
// pprof label side=server.
type Server struct {
	Store usher.Store
	// Busy reports pushes waiting for one another (ingest's Busy), for
	// background work that should give way, as the projector does.
	Busy func() bool
	http *httptest.Server
	// stopProjector ends the analytics projector the server runs, as
	// `usher serve` does, so that its cost is part of every measurement.
	stopProjector func()
}

// StartServer opens the store at dsn and serves pushes for Institution.
func StartServer(ctx context.Context, dsn string) (*Server, error) {
	var s *Server
	var err error
	// Goroutines the store and server start (the SQLite writer, connection
	// handlers) inherit the label from here.
	pprof.Do(ctx, pprof.Labels("side", "server"), func(ctx context.Context) { s, err = startServer(ctx, dsn) })
	return s, err
}

// IndexedPaths are the document paths the server keeps indexes on
// (config documents.indexed_paths), built when it starts: none unless a
// measurement of what they cost sets them.
var IndexedPaths []usher.IndexedPath

func startServer(ctx context.Context, dsn string) (*Server, error) {
	st, err := store.Open(ctx, dsn, time.Now)
	if err != nil {
		return nil, err
	}
	if err := st.IndexPaths(ctx, IndexedPaths, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		st.Close()
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	reg := prometheus.NewRegistry()
	m := metrics.NewIngest(reg)
	// The real validator: validation is part of what a push costs.
	validator, err := schema.Load("", nil)
	if err != nil {
		st.Close()
		return nil, err
	}
	svc := ingest.NewService(st, validator, m, logger)
	h := httpapi.NewHandler(httpapi.Deps{
		Logger: logger, Gatherer: reg, Ready: st,
		Ingest: ingest.NewHandler(svc, []usher.Institution{Institution}, config.DefaultMaxBodyBytes, m, logger),
	})
	srv := httptest.NewUnstartedServer(labelled(h))
	srv.Config.ReadHeaderTimeout = 10 * time.Second
	srv.Config.ReadTimeout = 60 * time.Second
	srv.Config.WriteTimeout = 60 * time.Second
	srv.Start()
	projectorCtx, stop := context.WithCancel(ctx)
	interval, orders, maxLag := config.Default().Analytics.Projector()
	projector := analytics.NewProjector(st, analytics.ProjectorConfig{Interval: interval, Orders: orders, MaxLag: maxLag, Busy: svc.Busy},
		metrics.NewAnalytics(reg), logger, time.Now)
	done := make(chan struct{})
	go func() {
		defer close(done)
		projector.Run(projectorCtx)
	}()
	return &Server{Store: st, Busy: svc.Busy, http: srv, stopProjector: func() { stop(); <-done }}, nil
}

// CatchUp waits until the projector has applied everything stored.
func (s *Server) CatchUp(ctx context.Context) error {
	_, orders, _ := config.Default().Analytics.Projector()
	return analytics.CatchUp(ctx, s.Store, orders, 10_000_000)
}

// labelled runs h with the pprof label side=server, so a CPU profile of a
// whole benchmark can be narrowed to the server with -tagfocus=side=server.
func labelled(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pprof.Do(r.Context(), pprof.Labels("side", "server"), func(ctx context.Context) {
			h.ServeHTTP(w, r.WithContext(ctx))
		})
	})
}

// Target returns where and as whom to push to s.
func (s *Server) Target() Target {
	return Target{URL: s.http.URL, Institution: Institution.Code, User: Institution.Auth.Username, Password: Institution.Auth.Secret}
}

// Close stops serving and closes the store.
func (s *Server) Close() {
	s.stopProjector()
	s.http.Close()
	s.Store.Close()
}
