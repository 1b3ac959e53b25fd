package site_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/usher-hub/usher/internal/site/sitetest"
)

func TestAPIAuthenticationAndScope(t *testing.T) {
	e := sitetest.New(t, sitetest.Options{Engine: "sqlite"})
	req, _ := http.NewRequest("GET", e.URL+sitetest.Path("events?date=2026-05-01"), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no key: %d, want 401", resp.StatusCode)
	}
	var fail sitetest.ErrorBody
	if status := e.JSON("GET", "/api/v1/site/other/events?date=2026-05-01", nil, &fail); status != http.StatusNotFound {
		t.Fatalf("another institution: %d %+v, want 404", status, fail)
	}
	if status := e.JSON("GET", sitetest.Path("nothing"), nil, &fail); status != http.StatusNotFound || fail.Error.Message == "" {
		t.Fatalf("unknown route: %d %+v", status, fail)
	}
}

func TestBodiesAreBoundedAndStrict(t *testing.T) {
	e := sitetest.New(t, sitetest.Options{Engine: "sqlite"})
	for name, tc := range map[string]struct {
		body   string
		status int
		want   string
	}{
		"too large":     {`{"visitor":"` + strings.Repeat("x", 70<<10) + `"}`, http.StatusRequestEntityTooLarge, "over the limit"},
		"unknown field": {`{"visitor":"v","event_id":1,"tickets":[],"vistor":"typo"}`, http.StatusBadRequest, "unknown field"},
		"two objects":   {`{"visitor":"v"}{"visitor":"w"}`, http.StatusBadRequest, "one JSON object"},
		"not json":      {`visitor=v`, http.StatusBadRequest, "JSON object"},
		"no tickets":    {`{"visitor":"v","event_id":1,"tickets":[]}`, http.StatusBadRequest, "at least one"},
	} {
		t.Run(name, func(t *testing.T) {
			status, data := post(t, e, sitetest.Path("holds"), []byte(tc.body))
			if status != tc.status || !strings.Contains(string(data), tc.want) {
				t.Fatalf("%d %s, want %d mentioning %q", status, data, tc.status, tc.want)
			}
		})
	}
}

func post(t testing.TB, e *sitetest.Env, path string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.URL+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+sitetest.APIKey)
	req.Header.Set(sitetestSessionHeader, "not-a-session")
	resp, err := e.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

const sitetestSessionHeader = "X-Usher-Member-Session"

// postRoutes are the website API's POST routes, for the fuzzer.
var postRoutes = []string{"holds", "checkouts", "members", "members/links", "members/sessions", "members/me/memberships",
	"checkouts/co-1/settlement"}

// FuzzSiteAPI sends arbitrary bodies to every POST route of the website
// API, against a real store and simulator: the answer is always JSON, an
// error answer always has the documented shape, and nothing is a 500.
func FuzzSiteAPI(f *testing.F) {
	seeds := []string{
		`{"visitor":"v1","event_id":1005,"tickets":[{"ticket_id":504,"quantity":2}]}`,
		`{"checkout_id":"c1","hold_id":"hold_x","visitor":"v1","payment_reference":"p","contact":{"last_name":"N","email":"a@b.org"}}`,
		`{"identity":"w","first_name":"Z","last_name":"P","email":"z@example.org","type_code":11,"payment_reference":"p"}`,
		`{"identity":"w","email":"ann.nguyen@example.org"}`,
		`{"identity":"w"}`,
		`{"action":"buy","type_code":11,"payment_reference":"p"}`,
		`{"visitor":"v","event_id":-1,"tickets":[{"ticket_id":504,"quantity":1e9}]}`,
		`[]`, `null`, `{"tickets":{}}`, ``,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	// Checkouts with extras and general entry, Centaman sign-in, and the
	// venue's settlement of an unknown checkout.
	f.Add(uint8(1), []byte(`{"checkout_id":"c2","visitor":"v1","payment_reference":"p","contact":{"last_name":"N","email":"a@b.org"},"general":[{"id":701,"quantity":2}]}`))
	f.Add(uint8(1), []byte(`{"checkout_id":"c3","hold_id":"h","visitor":"v1","payment_reference":"p","contact":{"last_name":"N","email":"a@b.org"},"extras":[{"id":602,"quantity":-1}]}`))
	f.Add(uint8(4), []byte(`{"member_number":300001,"surname":"Smith"}`))
	f.Add(uint8(4), []byte(`{"email":"ann@example.org","password":"visit-the-museum-300000","identity":"w"}`))
	f.Add(uint8(6), []byte(`{"outcome":"sold","booking_id":"1"}`))
	f.Add(uint8(6), []byte(`{"outcome":"maybe"}`))
	e := sitetest.New(f, sitetest.Options{Engine: "sqlite"})
	e.Sync()
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := sitetest.Path(postRoutes[int(route)%len(postRoutes)])
		status, data := post(t, e, path, body)
		if status >= 500 && status != http.StatusServiceUnavailable {
			t.Fatalf("%s %q: %d %s", path, body, status, data)
		}
		var v map[string]any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("%s %q: answer %q is not a JSON object", path, body, data)
		}
		if status >= 400 {
			errObj, ok := v["error"].(map[string]any)
			if !ok || errObj["code"] == "" || fmt.Sprint(errObj["message"]) == "" {
				t.Fatalf("%s %q: error answer %s lacks code and message", path, body, data)
			}
		}
	})
}

// TestEventsRejectsMalformedQuery: r.URL.Query() dropped a parameter it
// could not parse, so ?date=…; listed the default day instead of saying
// the query was wrong (issue 16).
func TestEventsRejectsMalformedQuery(t *testing.T) {
	e := sitetest.New(t, sitetest.Options{Engine: "sqlite"})
	for _, q := range []string{"events?date=2026-05-01;", "events?source=copy;x", "events?date=%zz"} {
		var fail sitetest.ErrorBody
		if status := e.JSON("GET", sitetest.Path(q), nil, &fail); status != http.StatusBadRequest || !strings.Contains(fail.Error.Message, "malformed query string") {
			t.Errorf("%s: %d %+v, want 400 malformed query string", q, status, fail)
		}
	}
}
