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
	"time"

	"github.com/usher-hub/usher/internal/testdb"
)

// FuzzLoadPageQuery sends arbitrary query strings to the dashboard's Load
// page of the wired server, signed in with a myvenue key: a page or a
// clear 400/404, never a server error, never a script.
func FuzzLoadPageQuery(f *testing.F) {
	for _, seed := range []string{
		"", "institution=myvenue&contacts=100000&bookings=20", "contacts=-1", "contacts=1e9", "contacts=abc",
		"bookings=999999999999999999999", "institution=othervenue", "institution=myvenue&institution=myvenue",
		"%zz", "foo=bar", "contacts=%3Cscript%3E", "contacts=0&bookings=0",
	} {
		f.Add(seed)
	}
	// The page plans and reads the outbox; it never calls S-360 or a CRM.
	cfg := harnessConfig(testdb.SQLite(f), "http://127.0.0.1:9", "http://127.0.0.1:9", harnessOptions{simLimit: 180, simWindow: time.Minute})
	cfg.Outbox.Workers = -1
	a, err := newApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { a.Close() })
	req := httptest.NewRequest(http.MethodPost, "/dashboard/login", strings.NewReader(url.Values{"key": {crmAPIKey}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	a.handler.ServeHTTP(w, req)
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		f.Fatalf("login: %d, %d cookies", w.Code, len(cookies))
	}
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest(http.MethodGet, "/dashboard/load", nil)
		req.URL.RawQuery = query
		req.AddCookie(cookies[0])
		w := httptest.NewRecorder()
		a.handler.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusNotFound:
		default:
			t.Fatalf("?%s: status %d: %s", query, w.Code, w.Body)
		}
		if strings.Contains(strings.ToLower(w.Body.String()), "<script") {
			t.Fatalf("?%s: a script tag reached the page", query)
		}
	})
}
