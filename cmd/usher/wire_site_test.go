package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-hub/usher/internal/config"
	simcentaman "github.com/usher-hub/usher/internal/sim/centaman"
	"github.com/usher-hub/usher/internal/testdb"
)

// webKey is the website's API key in these tests; pushAuth the
// institution's push authentication (every institution has one).
const webKey = "web-key-for-the-site-tests"

var pushAuth = config.Auth{Mode: "basic", Username: "s360", Secret: "push-secret-for-site-tests"}

func siteConfig(t *testing.T, storefront bool) config.Config {
	t.Helper()
	cfg, _ := siteConfigAndSim(t, storefront)
	return cfg
}

// siteConfigAndSim returns a configuration serving the website layer for
// institution museum, on a Centaman simulator it also returns.
func siteConfigAndSim(t *testing.T, storefront bool) (config.Config, *simcentaman.Sim) {
	t.Helper()
	sim := simcentaman.New(simcentaman.Options{Username: "usher", Password: "centaman-test-password", Days: 2})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	cfg := config.Default()
	cfg.Database = testdb.SQLite(t)
	cfg.Site.Storefront = storefront
	cfg.APIKeys = []config.APIKey{{Name: "web", Secret: webKey, Institutions: []string{"museum"}}}
	cfg.Institutions = []config.Institution{{Code: "museum", Auth: pushAuth, Centaman: &config.Centaman{URL: srv.URL + simcentaman.BasePath,
		Username: "usher", Password: "centaman-test-password", VenueName: "The Museum"}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg, sim
}

func handlerStatus(t *testing.T, h http.Handler, path, key string) int {
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
		if code := handlerStatus(t, a.handler, "/api/v1/site/museum/status", webKey); code != http.StatusOK {
			t.Fatalf("status with a key: %d", code)
		}
		if code := handlerStatus(t, a.handler, "/api/v1/site/museum/status", ""); code != http.StatusUnauthorized {
			t.Fatalf("status without a key: %d", code)
		}
		want := http.StatusNotFound
		if storefront {
			want = http.StatusOK
		}
		if code := handlerStatus(t, a.handler, "/storefront/museum/", ""); code != want {
			t.Fatalf("storefront enabled=%v: %d, want %d", storefront, code, want)
		}
		if !storefront {
			rec := httptest.NewRecorder()
			a.handler.ServeHTTP(rec, httptest.NewRequest("GET", "/storefront/museum/", nil))
			if !strings.Contains(rec.Body.String(), "site.storefront: true") || !strings.Contains(rec.Header().Get("Content-Type"), "json") {
				t.Fatalf("storefront off: %q, want a JSON error saying how to turn it on", rec.Body)
			}
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// The website layer checks Centaman documents with the server's schema
// registry, the one ingest uses: an institution's schema_dir override
// applies to it, and drift is counted on the server's metrics. The
// override below wants a field Centaman's members lack, so linking a
// member of museum fails closed, while the override of another
// institution changes nothing for museum.
func TestWireSiteValidatesWithTheSchemaRegistry(t *testing.T) {
	override := "type: centaman.member\nversion: 2\ndocument:\n  MemberCode: int\n  MemberNumber: int\n  LoyaltyTier: string\n"
	for _, tt := range []struct {
		overridden string
		wantStatus int
	}{{"museum", http.StatusServiceUnavailable}, {"elsewhere", http.StatusOK}} {
		t.Run(tt.overridden, func(t *testing.T) {
			cfg, sim := siteConfigAndSim(t, false)
			cfg.SchemaDir = t.TempDir()
			if err := os.MkdirAll(filepath.Join(cfg.SchemaDir, tt.overridden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(cfg.SchemaDir, tt.overridden, "centaman.member.yaml"), []byte(override), 0o644); err != nil {
				t.Fatal(err)
			}
			a, err := newApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			body := `{"identity": "web-ann", "email": "` + sim.Members()[0].Email + `"}`
			req := httptest.NewRequest("POST", "/api/v1/site/museum/members/links", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+webKey)
			rec := httptest.NewRecorder()
			a.handler.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("link with the override for %s: %d %s, want %d", tt.overridden, rec.Code, rec.Body, tt.wantStatus)
			}
			drift := unknownFieldsCounted(t, a, "museum", "centaman.member")
			if overridden := tt.overridden == "museum"; overridden != (drift > 0) {
				t.Fatalf("drift of museum's members counted %v times with the override for %s", drift, tt.overridden)
			}
		})
	}
}

func unknownFieldsCounted(t *testing.T, a *app, institution, docType string) float64 {
	t.Helper()
	families, err := a.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "usher_schema_unknown_fields_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["institution"] == institution && labels["doc_type"] == docType {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// Without any institution served by the website layer, its routes answer
// a JSON error that says why, not a bare 404.
func TestSiteRoutesExplainedWithoutCentaman(t *testing.T) {
	cfg := config.Default()
	cfg.Database = testdb.SQLite(t)
	cfg.APIKeys = []config.APIKey{{Name: "web", Secret: webKey, Institutions: []string{"museum"}}}
	cfg.Institutions = []config.Institution{{Code: "museum", Auth: pushAuth}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := newApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/site/museum/events?date=2026-05-01", nil))
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "centaman block") {
		t.Fatalf("site route without Centaman: %d %q, want a JSON 404 naming the centaman block", rec.Code, rec.Body)
	}
}
