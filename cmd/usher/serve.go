package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

func runServe(ctx context.Context, e env, args []string) error {
	fs, cf := commandFlags("serve", e)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	cfg, err := cf.load(e)
	if err != nil {
		return err
	}
	logger := newLogger(e.stderr, cfg)
	a, err := newApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, scheme, err := listen(cfg, logger)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	metricsErr := make(chan error, 1)
	metricsAddr, err := serveMetrics(ctx, cfg, a.metricsHandler, metricsErr)
	if err != nil {
		ln.Close()
		return err
	}
	fmt.Fprintf(e.stdout, "usher listening on %s://%s (database %s, %d institutions)\n",
		scheme, ln.Addr(), describeDatabase(cfg), len(cfg.Institutions))
	if metricsAddr != "" {
		fmt.Fprintf(e.stdout, "metrics on http://%s/metrics\n", metricsAddr)
	}
	if hint := signInHint(cfg); hint != "" {
		fmt.Fprintln(e.stdout, hint)
	}
	if len(cfg.Institutions) == 0 {
		logger.Warn("no institutions configured: every push will get 404; see docs/configuration.md")
	}
	for _, w := range cfg.Warnings() {
		logger.Warn(w)
	}
	go func() {
		select {
		case err := <-metricsErr:
			logger.Error("metrics listener stopped the server", "err", err)
			cancel()
		case <-ctx.Done():
		}
	}()
	return serveUntilDone(ctx, ln, a.handler)
}

// serveUntilDone serves on ln until ctx ends, then shuts down gracefully,
// giving requests in flight (a payload being committed) time to finish.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler: h,
		// Bounded timeouts: one slow client (slow-loris headers or body)
		// cannot hold a connection forever.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
