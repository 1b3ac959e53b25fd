package s360api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/usher-hub/usher/internal/sim/s360api"
	"github.com/usher-hub/usher/internal/upstream/s360"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const path = "/tnco/backend-apis/contactInformationPublicService/v2_21/"

func newSim(t testing.TB, limit, status int) (*s360api.Sim, *httptest.Server, *clock) {
	return newSimWith(t, s360api.Config{RateLimit: limit, ThrottleStatus: status})
}

func newSimWith(t testing.TB, cfg s360api.Config) (*s360api.Sim, *httptest.Server, *clock) {
	clk := &clock{t: time.Now()}
	cfg.Institutions = []s360api.Institution{{Code: "MOSA", Secret: "pw"}}
	cfg.RateWindow, cfg.Now = time.Minute, clk.Now
	sim := s360api.New(cfg)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv, clk
}

func call(t testing.TB, srv *httptest.Server, method, token string, body any) (int, http.Header, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+path+method, bytes.NewReader(b))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header, out
}

func token(now time.Time, secret string) string {
	return s360.SignToken(s360.NewClaims("MOSA", "MOSA_B2C", "Partner 1", now), secret)
}

// TestSlidingWindowRateLimit: over the limit S-360 answers 509 (or 429)
// without Retry-After, as documented; SendRetryAfter, off by default,
// adds one.
func TestSlidingWindowRateLimit(t *testing.T) {
	for _, tc := range []struct {
		throttle   int
		retryAfter bool
	}{{509, false}, {429, false}, {509, true}} {
		throttle := tc.throttle
		sim, srv, clk := newSimWith(t, s360api.Config{RateLimit: 3, ThrottleStatus: throttle, SendRetryAfter: tc.retryAfter})
		want := func(s string) string {
			if tc.retryAfter {
				return s
			}
			return ""
		}
		search := map[string]string{"email": "x@y.z"}
		for range 3 {
			if status, _, out := call(t, srv, "searchContact", token(clk.Now(), "pw"), search); status != 200 || out["statusCode"] != "success" {
				t.Fatalf("call within the limit: %d %v", status, out)
			}
		}
		status, h, out := call(t, srv, "searchContact", token(clk.Now(), "pw"), search)
		if status != throttle || h.Get("Retry-After") != want("60") || out["statusCode"] != "too_many_requests" {
			t.Fatalf("fourth call in a minute: %d Retry-After %q %v", status, h.Get("Retry-After"), out)
		}
		clk.Add(30 * time.Second)
		if status, h, _ := call(t, srv, "searchContact", token(clk.Now(), "pw"), search); status != throttle || h.Get("Retry-After") != want("30") {
			t.Fatalf("half a minute later: %d Retry-After %q; a sliding window still holds the three calls", status, h.Get("Retry-After"))
		}
		clk.Add(31 * time.Second)
		if status, _, _ := call(t, srv, "searchContact", token(clk.Now(), "pw"), search); status != 200 {
			t.Fatalf("after the window: %d", status)
		}
		if st := sim.Stats("MOSA"); st.Calls != 4 || st.Throttled != 2 || st.MaxInWindow != 3 {
			t.Fatalf("stats %+v", st)
		}
	}
}

func TestTokens(t *testing.T) {
	_, srv, clk := newSim(t, 100, 0)
	now := clk.Now()
	millis := s360.Claims{Subject: "MOSA", Audience: "MOSA_B2C", Issuer: "p", IssuedAt: now.UnixMilli(), Expires: now.Add(30 * time.Second).UnixMilli()}
	long := s360.NewClaims("MOSA", "MOSA_B2C", "p", now)
	long.Expires = now.Add(time.Hour).Unix()
	for _, tc := range []struct {
		name, token string
		status      int
	}{
		{"valid", token(now, "pw"), 200},
		{"milliseconds, as the page says", s360.SignToken(millis, "pw"), 200},
		{"none", "", 401},
		{"wrong secret", token(now, "guess"), 401},
		{"expired", token(now.Add(-time.Minute), "pw"), 401},
		{"issued in the future", token(now.Add(time.Minute), "pw"), 401},
		{"longer than 30 s", s360.SignToken(long, "pw"), 401},
		{"other institution", s360.SignToken(s360.NewClaims("CUBE", "CUBE_B2C", "p", now), "pw"), 401},
		{"not a JWT", "abc", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, _, out := call(t, srv, "searchContact", tc.token, map[string]string{"email": "x@y.z"}); status != tc.status {
				t.Fatalf("%d %v, want %d", status, out, tc.status)
			}
		})
	}
}

func TestContactWebhookPushesChangedContacts(t *testing.T) {
	var mu sync.Mutex
	var payloads [][]map[string]any
	fail := true
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("X-Api-Key") != "k" || fail {
			fail = false
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var batch []map[string]any
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &batch)
		payloads = append(payloads, batch)
	}))
	t.Cleanup(recv.Close)
	sim := s360api.New(s360api.Config{Institutions: []s360api.Institution{{Code: "MOSA", Secret: "pw", PushURL: recv.URL, PushHeader: "X-Api-Key", PushKey: "k"}}})
	numbers := sim.CreateContacts("MOSA", 60, func(i int) map[string]any { return map[string]any{"email": "v@example.org"} })
	if _, err := sim.PushChanged(context.Background(), recv.Client(), "MOSA"); err == nil {
		t.Fatal("a refused payload must be an error")
	}
	n, err := sim.PushChanged(context.Background(), recv.Client(), "MOSA")
	if err != nil || n != 60 || len(payloads) != 2 || len(payloads[0]) != 50 || len(payloads[1]) != 10 {
		t.Fatalf("pushed %d (%v) in %d payloads; want 60 in 50 + 10, the refused one kept for the next run", n, err, len(payloads))
	}
	if payloads[0][0]["contactNumber"] != numbers[0] || payloads[0][0]["statusCode"] != nil {
		t.Fatalf("first contact %v: want the contact alone, without status fields", payloads[0][0])
	}
	if n, _ := sim.PushChanged(context.Background(), recv.Client(), "MOSA"); n != 0 {
		t.Fatalf("pushed %d unchanged contacts again", n)
	}
}

// FuzzSimAPI sends arbitrary bodies to every method: the simulator
// answers in S-360's format and never fails.
func FuzzSimAPI(f *testing.F) {
	for _, seed := range []struct{ method, body string }{
		{"createCulturalContact", `{"contactDataList":[{"email":"a@b.c","lastName":"L","identifier":7,"createLogin":false}]}`},
		{"createCulturalContact", `{"contactDataList":[{"email":"a@b.c","identifier":"x"}]}`},
		{"saveIndividualContactData", `{"contactData":{"contactNumber":"5000001","addresses":[]}}`},
		{"getContactData", `{"contactNumber":"5000001","details":["GENERAL"]}`},
		{"searchContact", `{"email":"a@b.c","lastName":"L"}`},
		{"createOrUpdateOrder", `{"pointOfSalesId":1,"orderType":"SALE","purchasersInfo":[{"contactReference":"5000001"}],"simpleProductOperations":[{"productCode":"P","quantity":1}]}`},
		{"createOrUpdateOrder", `{"purchasersInfo":5000001}`},
		{"closeOrder", `{"orderId":10000800001}`},
		{"getExternalReference", `{"externalReferenceKind":"ORDER","externalReference":{"value":"r"}}`},
		{"createOrder", `{"contactNumber":"5000001"}`},
		{"saveIndividualContactData", `[]`},
	} {
		f.Add(seed.method, []byte(seed.body))
	}
	_, srv, clk := newSim(f, 1<<30, 0)
	f.Fuzz(func(t *testing.T, method string, body []byte) {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/tnco/backend-apis/contactInformationPublicService/v2_21/"+url.PathEscape(method), bytes.NewReader(body))
		if err != nil {
			return // a method name that makes no URL
		}
		switch method {
		case "createOrUpdateOrder":
			req.URL.Path = "/tnseb/backend-apis/externalOrderFacade/v1_33/" + method
		case "closeOrder", "getExternalReference", "createOrder":
			req.URL.Path = "/tnseb/backend-apis/externalOrderService/v1_33/" + method
		}
		req.Header.Set("Authorization", "Bearer "+token(clk.Now(), "pw"))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out["statusCode"] == nil || resp.StatusCode >= 500 {
			t.Fatalf("%s %q: %d %v", method, body, resp.StatusCode, out)
		}
	})
}

// TestOnlyDocumentedMethods: the methods usher once invented answer 404
// and are counted; the documented ones exist.
func TestOnlyDocumentedMethods(t *testing.T) {
	sim, srv, clk := newSim(t, 100, 0)
	for _, m := range []string{"searchContacts", "createIndividualContact", "updateContact"} {
		if status, _, _ := call(t, srv, m, token(clk.Now(), "pw"), map[string]string{"email": "x@y.z"}); status != 404 {
			t.Fatalf("%s answered %d, want 404: S-360 documents no such method", m, status)
		}
	}
	if n := len(sim.NotFound()); n != 3 {
		t.Fatalf("NotFound counted %d calls, want 3", n)
	}
	if status, _, out := call(t, srv, "getContactData", token(clk.Now(), "pw"), map[string]any{"contactNumber": "1"}); status != 200 || out["statusCode"] != "contact_not_found" {
		t.Fatalf("unknown contact: %d %v, want a business error: HTTP 200 and a statusCode other than success", status, out)
	}
}

// TestIdempotencyKeyIgnoredByDefault: S-360 documents no idempotency
// header, so a repeated create makes a second contact unless the switch
// HonourIdempotencyKey is on.
func TestIdempotencyKeyIgnoredByDefault(t *testing.T) {
	for _, honour := range []bool{false, true} {
		sim, srv, clk := newSimWith(t, s360api.Config{RateLimit: 100, HonourIdempotencyKey: honour})
		body, _ := json.Marshal(map[string]any{"contactDataList": []map[string]any{{"email": "a@b.c", "identifier": 1}}})
		for range 2 {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+path+"createCulturalContact", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token(clk.Now(), "pw"))
			req.Header.Set("Idempotency-Key", "same-key-for-both")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		want := 2
		if honour {
			want = 1
		}
		if n := sim.ContactCount("MOSA"); n != want {
			t.Fatalf("honour=%v: %d contacts after two creates with one key, want %d", honour, n, want)
		}
	}
}

// TestLostAnswerAppliesTheWrite: a lost answer is a closed connection
// after the write happened.
func TestLostAnswerAppliesTheWrite(t *testing.T) {
	sim, srv, clk := newSimWith(t, s360api.Config{RateLimit: 100, LostRatio: 1})
	body, _ := json.Marshal(map[string]any{"contactDataList": []map[string]any{{"email": "a@b.c", "identifier": 1}}})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+path+"createCulturalContact", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token(clk.Now(), "pw"))
	resp, err := srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got an answer %d; want the connection dropped", resp.StatusCode)
	}
	if n, st := sim.ContactCount("MOSA"), sim.Stats("MOSA"); n != 1 || st.Lost != 1 {
		t.Fatalf("%d contacts, %d lost answers; want the write applied and its answer lost", n, st.Lost)
	}
}

// TestPerEndpointRateLimit: under the older rule each service has its own
// budget.
func TestPerEndpointRateLimit(t *testing.T) {
	_, srv, clk := newSimWith(t, s360api.Config{RateLimit: 1, PerEndpoint: true})
	if status, _, _ := call(t, srv, "searchContact", token(clk.Now(), "pw"), map[string]string{"email": "x@y.z"}); status != 200 {
		t.Fatalf("first contact call: %d", status)
	}
	if status, _, _ := call(t, srv, "searchContact", token(clk.Now(), "pw"), map[string]string{"email": "x@y.z"}); status != 509 {
		t.Fatalf("second contact call in the window: %d, want 509", status)
	}
	body, _ := json.Marshal(map[string]any{"externalReferenceKind": "ORDER", "externalReference": map[string]string{"value": "r"}})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/tnseb/backend-apis/externalOrderService/v1_33/getExternalReference", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token(clk.Now(), "pw"))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("an order call while the contact service is at its limit: %d, want 200", resp.StatusCode)
	}
}
