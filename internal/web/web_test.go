package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
	fx "github.com/usher-hub/usher/internal/analytics/analyticstest"
	"github.com/usher-hub/usher/internal/httpx"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/store/sqlite"
	"github.com/usher-hub/usher/internal/web"
)

const (
	venueKey = "dashboard-key-for-myvenue"
	otherKey = "dashboard-key-for-othervenue"
)

// clock is a settable time for session expiry.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// dashboard serves the dashboard over the fixture venue on a real SQLite
// store and a loopback HTTP server.
func dashboard(t testing.TB) (*httptest.Server, *clock) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "usher.db"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.SaveDocuments(ctx, fx.All(t, fx.Institution)); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m := metrics.NewIngest(reg)
	m.Payloads.WithLabelValues("orders", fx.Institution, "200").Add(6)
	m.Payloads.WithLabelValues("orders", fx.Institution, "401").Add(2)
	m.Documents.WithLabelValues("contacts", fx.Institution, "quarantined").Add(3)
	clk := &clock{now: time.Now()}
	srv, err := web.New(web.Deps{
		Service: analytics.NewService(st, func() time.Time { return fx.Now }, fx.Zone),
		Keys: httpx.NewAPIKeys([]usher.APIKey{
			{Name: "venue manager", Secret: venueKey, Institutions: []string{fx.Institution}},
			{Name: "other", Secret: otherKey, Institutions: []string{"othervenue"}},
		}),
		Institutions:  []string{fx.Institution, "othervenue"},
		Gatherer:      reg,
		SessionSecret: strings.Repeat("k", 32),
		SessionTTL:    time.Hour,
		Now:           clk.Now,
		Logger:        slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Mount(mux)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts, clk
}

// browserless is an HTTP client that keeps cookies and does not follow
// redirects, so each step is visible.
func browserless(t testing.TB) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func login(t testing.TB, ts *httptest.Server, c *http.Client, key string) *http.Response {
	t.Helper()
	resp, err := c.PostForm(ts.URL+"/login", url.Values{"key": {key}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func fetch(t testing.TB, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestLoginThenReport(t *testing.T) {
	ts, _ := dashboard(t)
	c := browserless(t)
	if resp, _ := fetch(t, c, ts.URL+"/dashboard/sales"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("signed out: %d to %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := login(t, ts, c, "not a key"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong key: status %d, want 401", resp.StatusCode)
	}
	resp := login(t, ts, c, venueKey)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: status %d", resp.StatusCode)
	}
	cookie := resp.Cookies()[0]
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || strings.Contains(cookie.Value, venueKey) {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict and no key inside", cookie)
	}
	resp, body := fetch(t, c, ts.URL+"/dashboard/sales?from=2023-02-09&to=2023-02-14")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("report: status %d: %s", resp.StatusCode, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	for _, want := range []string{`data-chart="sales-revenue" data-points="6"`, "95.00 CHF", "<td>69.00</td>", "venue manager"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "style=") {
		t.Error("the page has inline script or style, which the CSP forbids")
	}
}

func TestEveryReportPageRenders(t *testing.T) {
	ts, _ := dashboard(t)
	c := browserless(t)
	login(t, ts, c, venueKey)
	for _, tt := range []struct{ path, want string }{
		{"/dashboard/attendance?from=2023-02-01&to=2023-02-28", `<div class="value">3</div><div class="note">today 2023-02-09: 5 in, 2 out</div>`},
		{"/dashboard/attendance?interval=hour&from=2023-02-09&to=2023-02-09", `data-chart="attendance" data-points="24"`},
		{"/dashboard/gates?from=2023-02-01&to=2023-02-28", "NO_MORE_ENTRY_ALLOWED_TODAY"},
		{"/dashboard/breakdown?from=2023-02-01&to=2023-02-28&by=audience", "(no order received)"},
		{"/dashboard/contacts?from=2023-02-01&to=2023-02-28&interval=week", `data-chart="contacts" data-points="5"`},
		{"/dashboard/sales?from=2023-02-01&to=2023-02-28&by=product&interval=month", "Permanent Collection"},
	} {
		resp, body := fetch(t, c, ts.URL+tt.path)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, tt.want) {
			t.Errorf("%s: status %d, page has %q: %v", tt.path, resp.StatusCode, tt.want, strings.Contains(body, tt.want))
		}
	}
}

func TestBadFiltersAreExplained(t *testing.T) {
	ts, _ := dashboard(t)
	c := browserless(t)
	login(t, ts, c, venueKey)
	resp, body := fetch(t, c, ts.URL+"/dashboard/sales?from=2023-02-10&to=2023-02-01")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "is before from") {
		t.Errorf("status %d; want 400 with the reason on the page", resp.StatusCode)
	}
}

func TestScopeOfTheKey(t *testing.T) {
	ts, _ := dashboard(t)
	c := browserless(t)
	login(t, ts, c, otherKey)
	if resp, _ := fetch(t, c, ts.URL+"/dashboard/sales?institution=myvenue"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another venue's key sees myvenue: status %d", resp.StatusCode)
	}
	if resp, _ := fetch(t, c, ts.URL+"/dashboard/export/sales?institution=myvenue"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another venue's key exports myvenue: status %d", resp.StatusCode)
	}
	resp, body := fetch(t, c, ts.URL+"/dashboard/sales")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "othervenue") || strings.Contains(body, ">myvenue<") {
		t.Errorf("default page: status %d, want othervenue only", resp.StatusCode)
	}
}

func TestSessionExpiresAndLogout(t *testing.T) {
	ts, clk := dashboard(t)
	c := browserless(t)
	login(t, ts, c, venueKey)
	if resp, _ := fetch(t, c, ts.URL+"/dashboard/health"); resp.StatusCode != http.StatusOK {
		t.Fatalf("health: %d", resp.StatusCode)
	}
	clk.now = clk.now.Add(2 * time.Hour)
	if resp, _ := fetch(t, c, ts.URL+"/dashboard/health"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after the session's hour: status %d, want a redirect to sign in", resp.StatusCode)
	}
	login(t, ts, c, venueKey)
	resp, err := c.PostForm(ts.URL+"/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if r, _ := fetch(t, c, ts.URL+"/dashboard/health"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout: status %d", r.StatusCode)
	}
}

func TestCrossSiteFormsAreRefused(t *testing.T) {
	ts, _ := dashboard(t)
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/login", strings.NewReader("key="+venueKey))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := browserless(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Errorf("cross-site login: status %d with %d cookies, want 403 and none", resp.StatusCode, len(resp.Cookies()))
	}
}

func TestHealthPage(t *testing.T) {
	ts, _ := dashboard(t)
	c := browserless(t)
	login(t, ts, c, venueKey)
	resp, body := fetch(t, c, ts.URL+"/dashboard/health")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// contacts: 7 documents, 0 payloads counted, 3 quarantined; orders:
	// 6 documents, 6 accepted and 2 refused payloads.
	for _, want := range []string{"<td>contacts</td>", "<td>7</td><td>0</td><td>0</td><td>3</td>", "<td>6</td><td>6</td><td>2</td><td>0</td>"} {
		if !strings.Contains(strings.Join(strings.Fields(body), ""), strings.Join(strings.Fields(want), "")) {
			t.Errorf("health page lacks %s", want)
		}
	}
}

func TestCSVFromTheDashboard(t *testing.T) {
	ts, _ := dashboard(t)
	c := browserless(t)
	login(t, ts, c, venueKey)
	resp, body := fetch(t, c, ts.URL+"/dashboard/export/contacts?from=2023-02-13&to=2023-02-14")
	want := "period,new_persons,new_companies,updated_persons,updated_companies\n2023-02-13,1,0,0,0\n2023-02-14,0,0,2,0\n"
	if resp.StatusCode != http.StatusOK || body != want {
		t.Errorf("status %d, body %q; want %q", resp.StatusCode, body, want)
	}
}

func TestBodiesAreBounded(t *testing.T) {
	ts, _ := dashboard(t)
	resp, err := browserless(t).Post(ts.URL+"/login", "application/x-www-form-urlencoded", strings.NewReader("key="+strings.Repeat("x", 1<<20)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("1 MiB login form: status %d, want 413", resp.StatusCode)
	}
}

// FuzzLogin posts arbitrary form bodies to /login: the answer is a redirect
// or a 4xx page, never a 5xx, and only the real key opens a session.
func FuzzLogin(f *testing.F) {
	for _, seed := range []string{"key=" + venueKey, "key=", "", "key=%zz", "key=a&key=b", strings.Repeat("key=x&", 500), "\x00\xff"} {
		f.Add(seed)
	}
	ts, _ := dashboard(f)
	f.Fuzz(func(t *testing.T, body string) {
		resp, err := browserless(t).Post(ts.URL+"/login", "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("body %q: status %d", body, resp.StatusCode)
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			return // the login rate limit, doing its job under the fuzzer
		}
		form, _ := url.ParseQuery(body)
		opened := len(resp.Cookies()) > 0
		if opened != (strings.TrimSpace(form.Get("key")) == venueKey) {
			t.Fatalf("body %q: session opened = %v", body, opened)
		}
	})
}
