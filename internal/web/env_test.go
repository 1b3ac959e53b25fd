package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
	fx "github.com/usher-hub/usher/internal/analytics/analyticstest"
	"github.com/usher-hub/usher/internal/httpapi"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/testdb"
)

// The test keys: one per institution and one for all.
const (
	venueKey = "venue-key-0123456789"
	otherKey = "other-key-0123456789"
	adminKey = "admin-key-0123456789"
	other    = "othervenue"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixedQuarantine is a quarantine holding set entries per institution.
type fixedQuarantine map[string][]QuarantineEntry

func (q fixedQuarantine) Pending(_ context.Context, institution string, limit int) ([]QuarantineEntry, error) {
	entries := q[institution]
	return entries[:min(limit, len(entries))], nil
}

// testEnv is the dashboard on a loopback server over a real store holding
// the analytics fixture for two institutions.
type testEnv struct {
	srv   *httptest.Server
	clock *clock
	h     *Handler
}

func newEnv(t testing.TB, engine string, tweaks ...func(*Options)) *testEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, testdb.DSN(t, engine), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, inst := range []string{fx.Institution, other} {
		fx.Save(t, st, fx.All(t, inst))
	}
	c := &clock{t: fx.Now}
	o := Options{
		Analytics:    analytics.NewService(st, c.now, fx.Zone),
		Keys:         httpapi.NewAPIKeys([]usher.APIKey{{Name: "venue", Secret: venueKey, Institutions: []string{fx.Institution}}, {Name: "other", Secret: otherKey, Institutions: []string{other}}, {Name: "admin", Secret: adminKey, Institutions: []string{"*"}}}),
		Institutions: []string{fx.Institution, other},
		Quarantine: fixedQuarantine{
			fx.Institution: {{ID: 7, Stream: usher.StreamOrders, DocType: "order", ExternalID: "10000000099", ReceivedAt: fx.Now, LastSeenAt: fx.Now, SeenCount: 2, Problems: []string{"/orderDetailsData/orderId: missing"}},
				{ID: 9, Stream: usher.StreamTicketChecks, DocType: "s360.ticketcheck", ExternalID: "5", ReceivedAt: fx.Now, LastSeenAt: fx.Now, SeenCount: 1,
					Problems: []string{"$.ticket_check_id: conflict: ticket check 5 is already stored with other content"}, Conflict: true}},
			other: {{ID: 8, Stream: usher.StreamContacts, DocType: "contact", ExternalID: "SECRET-OF-OTHER", ReceivedAt: fx.Now, LastSeenAt: fx.Now, SeenCount: 1, Problems: []string{"bad"}}},
		},
		Secret: []byte("0123456789abcdef0123456789abcdef"), TTL: time.Hour, Now: c.now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, tweak := range tweaks {
		tweak(&o)
	}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &testEnv{srv: srv, clock: c, h: h}
}

// browser returns a client with a cookie jar that does not follow
// redirects, so each test sees the status the dashboard answers.
func (e *testEnv) browser(t testing.TB) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// login signs c in with key and fails the test unless it worked.
func (e *testEnv) login(t testing.TB, c *http.Client, key string) {
	t.Helper()
	res := e.post(t, c, "/dashboard/login", url.Values{"key": {key}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/dashboard/" {
		t.Fatalf("login: status %d, location %q, body %s", res.status, res.header.Get("Location"), res.body)
	}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (e *testEnv) get(t testing.TB, c *http.Client, path string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, c, req)
}

// post sends form as a browser on the dashboard's own origin would.
func (e *testEnv) post(t testing.TB, c *http.Client, path string, form url.Values) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return do(t, c, req)
}

func do(t testing.TB, c *http.Client, req *http.Request) response {
	t.Helper()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(body)}
}

func httpTestRequest(t testing.TB, method, target string, form url.Values) *http.Request {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if req.URL.Scheme == "https" {
		req.Header.Set("Origin", "https://"+req.Host)
	}
	return req
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func principal(institutions ...string) usher.Principal {
	return usher.Principal{Name: "test", Institutions: institutions}
}
