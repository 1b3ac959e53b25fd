package crmsink

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher/internal/crm"
)

const (
	testSecret = "demo-signing-secret-0123456789"
	testToken  = "demo-crm-token-0123456789"
)

func newSink(t testing.TB) (*Sink, *httptest.Server) {
	t.Helper()
	s, err := New(Options{SigningSecret: testSecret, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

// deliver posts body as usher would, signed with secret.
func deliver(t testing.TB, url, secret, token, body string, at time.Time) int {
	t.Helper()
	signer, err := crm.NewSigner(secret)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url+"/crm/orders/demo", strings.NewReader(body))
	signer.SetHeaders(req.Header, "job-1", at, []byte(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Usher-Document-Id", "10000000042")
	req.Header.Set("Usher-Document-Version", "1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// An authentic delivery is accepted and listed; a forged, stale or
// unauthenticated one is refused (so usher retries it) and listed as such.
func TestSinkVerifiesAndLists(t *testing.T) {
	s, srv := newSink(t)
	doc := `[{"orderId":"10000000042","amount":42.5,"lines":[1,2]}]`
	if got := deliver(t, srv.URL, testSecret, testToken, doc, time.Now()); got != http.StatusNoContent {
		t.Fatalf("authentic delivery: %d", got)
	}
	for name, tc := range map[string]struct {
		secret, token, body string
		at                  time.Time
		want                int
	}{
		"other secret": {"another-secret-0123456789", testToken, doc, time.Now(), http.StatusUnauthorized},
		"stale":        {testSecret, testToken, doc, time.Now().Add(-time.Hour), http.StatusUnauthorized},
		"wrong token":  {testSecret, "not-the-token-0123456789", doc, time.Now(), http.StatusUnauthorized},
		"not an array": {testSecret, testToken, `{"orderId":"1"}`, time.Now(), http.StatusBadRequest},
	} {
		if got := deliver(t, srv.URL, tc.secret, tc.token, tc.body, tc.at); got != tc.want {
			t.Errorf("%s: %d, want %d", name, got, tc.want)
		}
	}
	got := s.Received()
	if len(got) != 5 || !got[0].Verified || got[0].DocumentID != "10000000042" || got[0].Summary != "amount=42.5 orderId=10000000042" {
		t.Fatalf("received: %+v", got)
	}
	for _, d := range got[1:] {
		if d.Verified || d.Problem == "" {
			t.Errorf("a refused delivery is listed as verified: %+v", d)
		}
	}
	res, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), "10000000042") || !strings.Contains(string(page), "verified") || strings.Count(string(page), `class="delivery"`) != 5 {
		t.Errorf("page:\n%s", page)
	}
}

// FuzzReceive posts arbitrary bodies and signatures: never a server
// error, and only a body signed with the secret is accepted.
func FuzzReceive(f *testing.F) {
	for _, seed := range []string{`[{"a":1}]`, `[]`, `{}`, ``, `[{"a":"<script>"}]`, `[1]`, `[{}, {}]`, "\x00"} {
		f.Add(seed, "v1,AAAA", true)
		f.Add(seed, "", false)
	}
	s, err := New(Options{SigningSecret: testSecret, Token: testToken})
	if err != nil {
		f.Fatal(err)
	}
	signer, _ := crm.NewSigner(testSecret)
	f.Fuzz(func(t *testing.T, body, signature string, sign bool) {
		req := httptest.NewRequest(http.MethodPost, "/crm/orders/demo", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		if sign {
			signer.SetHeaders(req.Header, "job-1", time.Now(), []byte(body))
		} else {
			req.Header.Set(crm.HeaderID, "job-1")
			req.Header.Set(crm.HeaderTimestamp, "1")
			req.Header.Set(crm.HeaderSignature, signature)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code >= 500 || (!sign && w.Code == http.StatusNoContent) {
			t.Fatalf("body %q, signed %v: %d", body, sign, w.Code)
		}
	})
}
