package storefront_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/usher-hub/usher"
	simcentaman "github.com/usher-hub/usher/internal/sim/centaman"
	"github.com/usher-hub/usher/internal/site"
	"github.com/usher-hub/usher/internal/site/sitetest"
	"github.com/usher-hub/usher/internal/storefront"
)

// shop is a storefront in front of a real website layer.
type shop struct {
	env *sitetest.Env
	url string
}

func newShop(t testing.TB, engine string) shop {
	t.Helper()
	return newShopWith(t, sitetest.Options{Engine: engine})
}

// newShopWith is newShop with the environment's options; the page
// promises e-mail only when the environment has it.
func newShopWith(t testing.TB, opts sitetest.Options) shop {
	t.Helper()
	e := sitetest.New(t, opts)
	e.Sync()
	sf := storefront.New(storefront.Options{API: e.Handler.API(), Venues: map[string]string{sitetest.Institution: "The Museum"},
		MaxBody: 64 << 10, Now: e.Clock.Now, Logger: discard(), Email: !opts.NoMail})
	mux := http.NewServeMux()
	sf.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return shop{env: e, url: srv.URL + "/storefront/" + sitetest.Institution + "/"}
}

// visitor is a browser-like client: it keeps the storefront's cookie.
func (s shop) visitor(t testing.TB) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(s.url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return c
}

func call(t testing.TB, c *http.Client, method, url string, body []byte, header ...string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func TestStorefrontPageIsSelfContained(t *testing.T) {
	s := newShop(t, "sqlite")
	resp, err := http.Get(s.url)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != http.StatusOK || !strings.Contains(csp, "script-src 'self'") || !strings.Contains(string(page), `data-today="2026-05-01"`) {
		t.Fatalf("page: %d, CSP %q", resp.StatusCode, csp)
	}
	if strings.Contains(string(page), "<script>") || strings.Contains(string(page), "http://") || strings.Contains(string(page), "https://") {
		t.Fatal("the page must load nothing from elsewhere and run no inline script")
	}
	for path, want := range map[string]int{"assets/app.js": 200, "assets/style.css": 200, "assets/index.html": 404, "assets/": 404} {
		resp, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	if resp, _ := http.Get(strings.Replace(s.url, sitetest.Institution, "elsewhere", 1)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown institution: %d", resp.StatusCode)
	}
}

// A visitor's id comes from the cookie only: another visitor cannot read,
// release or buy a hold by naming its owner.
func TestStorefrontVisitorsAreSeparate(t *testing.T) {
	s := newShop(t, "sqlite")
	id, adult, _ := s.env.SmallSession()
	ann, bob := s.visitor(t), s.visitor(t)
	body, _ := json.Marshal(map[string]any{"visitor": "bob-forged", "event_id": id, "tickets": []usher.HoldLine{{TicketID: adult, Quantity: 1}}})
	status, data := call(t, ann, "POST", s.url+"api/holds", body)
	var h site.HoldView
	if status != http.StatusCreated || json.Unmarshal(data, &h) != nil {
		t.Fatalf("hold: %d %s", status, data)
	}
	if status, _ := call(t, ann, "GET", s.url+"api/holds/"+h.ID, nil); status != http.StatusOK {
		t.Fatalf("owner reads the hold: %d", status)
	}
	if status, _ := call(t, bob, "GET", s.url+"api/holds/"+h.ID+"?visitor=bob-forged", nil); status != http.StatusNotFound {
		t.Fatalf("another visitor reads the hold: %d, want 404", status)
	}
	co, _ := json.Marshal(map[string]any{"checkout_id": "c1", "hold_id": h.ID, "payment_reference": "p1",
		"contact": map[string]string{"last_name": "B", "email": "bob@example.org"}})
	if status, _ := call(t, bob, "POST", s.url+"api/checkouts", co); status != http.StatusConflict && status != http.StatusNotFound {
		t.Fatalf("another visitor buys the hold: %d", status)
	}
	if status, _ := call(t, bob, "DELETE", s.url+"api/holds/"+h.ID, nil); status != http.StatusNotFound {
		t.Fatalf("another visitor releases the hold: %d", status)
	}
	if status, _ := call(t, ann, "DELETE", s.url+"api/holds/"+h.ID, nil); status != http.StatusOK || s.env.Sim.Held(id) != 0 {
		t.Fatalf("owner releases: %d, held %d", status, s.env.Sim.Held(id))
	}
}

func TestStorefrontExposesOnlyTicketRoutes(t *testing.T) {
	s := newShop(t, "sqlite")
	v := s.visitor(t)
	for _, route := range []string{"members/me", "status", "membership-types", "events?date=2026-05-01&source=nope", "checkouts?state=unknown"} {
		status, data := call(t, v, "GET", s.url+"api/"+route, nil)
		if status < 400 || !json.Valid(data) {
			t.Fatalf("GET %s through the storefront: %d %s, want a JSON refusal", route, status, data)
		}
	}
	status, data := call(t, v, "POST", s.url+"api/members/links", []byte(`{"identity":"x","email":"a@b.org"}`))
	if status != http.StatusNotFound || !json.Valid(data) {
		t.Fatalf("member link through the storefront: %d %s", status, data)
	}
	status, data = call(t, v, "POST", s.url+"api/holds", []byte(`{}`), "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site")
	if status != http.StatusForbidden || !strings.Contains(string(data), "cross-origin") {
		t.Fatalf("cross-origin hold: %d %s, want 403 JSON", status, data)
	}
}

// FuzzStorefrontAPI sends arbitrary bodies to the storefront's POST
// routes: answers are always JSON and never a 500.
func FuzzStorefrontAPI(f *testing.F) {
	for _, seed := range []string{
		`{"event_id":1005,"tickets":[{"ticket_id":504,"quantity":1}]}`,
		`{"checkout_id":"c","hold_id":"h","payment_reference":"p","contact":{"last_name":"L","email":"a@b.org"}}`,
		`{"visitor":7}`, `[1]`, `null`, `{`, ``,
		`{"checkout_id":"c2","payment_reference":"p","contact":{"last_name":"L","email":"a@b.org"},"general":[{"id":701,"quantity":1}]}`,
		`{"checkout_id":"c3","hold_id":"h","payment_reference":"p","contact":{"last_name":"L","email":"a@b.org"},"extras":[{"id":602,"quantity":1}]}`,
	} {
		f.Add(false, []byte(seed))
		f.Add(true, []byte(seed))
	}
	s := newShop(f, "sqlite")
	v := s.visitor(f)
	f.Fuzz(func(t *testing.T, checkout bool, body []byte) {
		route := "api/holds"
		if checkout {
			route = "api/checkouts"
		}
		status, data := call(t, v, "POST", s.url+route, body)
		if status >= 500 && status != http.StatusServiceUnavailable || !json.Valid(data) {
			t.Fatalf("%s %q: %d %s", route, body, status, data)
		}
	})
}

// A member signs in through the storefront with Centaman credentials; the
// session token stays in an HttpOnly cookie, never in what the page
// reads, and a website identity cannot be claimed through the storefront.
func TestStorefrontMemberSessionStaysInACookie(t *testing.T) {
	s := newShop(t, "sqlite")
	v := s.visitor(t)
	status, data := call(t, v, "POST", s.url+"api/members/sessions", []byte(`{"identity":"someone-else"}`))
	if status != http.StatusBadRequest || !json.Valid(data) {
		t.Fatalf("sign-in by identity through the storefront: %d %s, want 400", status, data)
	}
	var primary simcentaman.Member
	for _, m := range s.env.Sim.Members() {
		if m.Primary == 0 && m.Current {
			primary = m
			break
		}
	}
	body, _ := json.Marshal(map[string]any{"email": primary.Email, "password": simcentaman.MemberPassword(primary.MemberNumber)})
	status, data = call(t, v, "POST", s.url+"api/members/sessions", body)
	if status != http.StatusCreated || strings.Contains(string(data), "token") {
		t.Fatalf("sign-in: %d %s, want 201 without the token", status, data)
	}
	status, data = call(t, v, "GET", s.url+"api/members/me", nil)
	if status != http.StatusOK || !strings.Contains(string(data), `"status":"current"`) {
		t.Fatalf("me: %d %s", status, data)
	}
	if status, _ = call(t, v, "DELETE", s.url+"api/members/me", nil); status != http.StatusOK {
		t.Fatalf("sign out: %d", status)
	}
	if status, _ = call(t, v, "GET", s.url+"api/members/me", nil); status != http.StatusUnauthorized {
		t.Fatalf("me after sign-out: %d, want 401", status)
	}
}
