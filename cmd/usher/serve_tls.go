package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/usher-hub/usher/internal/config"
	"github.com/usher-hub/usher/internal/tlsserve"
)

// serverTLS returns the TLS configuration of `usher serve`: from the
// certificate files, over ACME, or nil for plain HTTP (behind a proxy).
func serverTLS(c config.TLS, logger *slog.Logger) (*tls.Config, error) {
	switch {
	case c.CertFile != "":
		return tlsserve.Files(c.CertFile, c.KeyFile, logger)
	case len(c.ACME.Hosts) > 0:
		cfg, _ := tlsserve.ACME(tlsserve.ACMEOptions{Hosts: c.ACME.Hosts, Email: c.ACME.Email,
			CacheDir: c.ACME.CacheDir, DirectoryURL: c.ACME.DirectoryURL})
		return cfg, nil
	}
	return nil, nil
}

// listen opens the main listener, wrapped in TLS when configured, and
// returns the URL scheme it serves.
func listen(cfg config.Config, logger *slog.Logger) (net.Listener, string, error) {
	tlsCfg, err := serverTLS(cfg.TLS, logger)
	if err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, "", fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	if tlsCfg == nil {
		return ln, "http", nil
	}
	return tls.NewListener(ln, tlsCfg), "https", nil
}

// serveMetrics serves /metrics on metrics.listen until ctx ends, when
// that is configured; errors end the whole server.
func serveMetrics(ctx context.Context, cfg config.Config, h http.Handler, errc chan<- error) (string, error) {
	if h == nil {
		return "", nil
	}
	ln, err := net.Listen("tcp", cfg.Metrics.Listen)
	if err != nil {
		return "", fmt.Errorf("metrics.listen %s: %w", cfg.Metrics.Listen, err)
	}
	go func() {
		if err := serveUntilDone(ctx, ln, h); err != nil {
			errc <- fmt.Errorf("metrics listener: %w", err)
		}
	}()
	return ln.Addr().String(), nil
}
