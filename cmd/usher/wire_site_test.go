package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/usher-hub/usher/internal/config"
	simcentaman "github.com/usher-hub/usher/internal/sim/centaman"
	"github.com/usher-hub/usher/internal/testdb"
)

func siteConfig(t *testing.T, storefront bool) config.Config {
	t.Helper()
	sim := simcentaman.New(simcentaman.Options{Username: "usher", Password: "pw", Days: 2})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	cfg := config.Default()
	cfg.Database = testdb.SQLite(t)
	cfg.Site.Storefront = storefront
	cfg.APIKeys = []config.APIKey{{Name: "web", Secret: "web-key", Institutions: []string{"museum"}}}
	cfg.Institutions = []config.Institution{{Code: "museum", Centaman: &config.Centaman{URL: srv.URL + simcentaman.BasePath,
		Username: "usher", Password: "pw", VenueName: "The Museum"}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func getStatus(t *testing.T, h http.Handler, path, key string) int {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// The server wires the website API behind API keys, the storefront only
// when enabled, and stops its background work on Close.
func TestWireSite(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, storefront := range []bool{true, false} {
		a, err := newApp(context.Background(), siteConfig(t, storefront), logger)
		if err != nil {
			t.Fatal(err)
		}
		if code := getStatus(t, a.handler, "/api/v1/site/museum/status", "web-key"); code != http.StatusOK {
			t.Fatalf("status with a key: %d", code)
		}
		if code := getStatus(t, a.handler, "/api/v1/site/museum/status", ""); code != http.StatusUnauthorized {
			t.Fatalf("status without a key: %d", code)
		}
		want := http.StatusNotFound
		if storefront {
			want = http.StatusOK
		}
		if code := getStatus(t, a.handler, "/storefront/museum/", ""); code != want {
			t.Fatalf("storefront enabled=%v: %d, want %d", storefront, code, want)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
