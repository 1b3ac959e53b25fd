package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/usher-hub/usher/internal/config"
	"github.com/usher-hub/usher/internal/testdb"
)

// TestDashboardIsWired starts the wired server and checks that / leads to
// the dashboard, that a configured key signs in, and that the analytics
// API answers the same key.
func TestDashboardIsWired(t *testing.T) {
	cfg, err := config.Load("", func(k string) string {
		return map[string]string{"USHER_DATABASE": testdb.SQLite(t), "USHER_ADMIN_KEY": "wired-admin-key-0123456789"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Institutions = []config.Institution{{Code: "myvenue", Auth: config.Auth{Mode: "none"}}}
	a, err := newApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.handler)
	defer srv.Close()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	res, err := noRedirect.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/" {
		t.Errorf("GET /: %d → %q, want a redirect to /dashboard/", res.StatusCode, res.Header.Get("Location"))
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/dashboard/login", strings.NewReader(url.Values{"key": {"wired-admin-key-0123456789"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || len(res.Cookies()) != 1 {
		t.Fatalf("login with USHER_ADMIN_KEY: %d, %d cookies", res.StatusCode, len(res.Cookies()))
	}
	session := res.Cookies()[0]

	// A quarantined push shows on the health page, through the store.
	res, err = http.Post(srv.URL+"/s360/ticketchecks/myvenue", "application/json", strings.NewReader(`[{"barcode":"123"}]`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/dashboard/health?institution=myvenue", nil)
	req.AddCookie(session)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), "ticket_check_id") {
		t.Errorf("health page does not show the quarantined check: %d\n%s", res.StatusCode, page)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/api/v1/analytics/myvenue/sales?from=2023-02-09&to=2023-02-10", nil)
	req.Header.Set("Authorization", "Bearer wired-admin-key-0123456789")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("analytics API: %d", res.StatusCode)
	}
}
