package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/httpapi"
	"github.com/usher-hub/usher/internal/ingest"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/schema"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/testdb"
)

var institutions = []usher.Institution{
	{Code: "myvenue", Policy: usher.PolicyQuarantine, Auth: usher.PushAuth{Mode: usher.AuthBasic, Username: "s360", Secret: "open-sesame"}},
	{Code: "other", Policy: usher.PolicyQuarantine, Auth: usher.PushAuth{Mode: usher.AuthAPIKey, Header: "X-Api-Key", Secret: "other-key"}},
	{Code: "open", Policy: usher.PolicyQuarantine, Auth: usher.PushAuth{Mode: usher.AuthNone}},
}

type pushBundle struct {
	srv   *httptest.Server
	store usher.Store
	dsn   string
}

func setupPush(t testing.TB, engine string, maxBody int64) *pushBundle {
	t.Helper()
	dsn := testdb.DSN(t, engine)
	st, err := store.Open(context.Background(), dsn, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()
	m := metrics.NewIngest(reg)
	h := httpapi.NewHandler(httpapi.Deps{
		Logger: logger, Gatherer: reg, Ready: st,
		Ingest: ingest.NewHandler(ingest.NewService(st, validator(t), m, logger), institutions, maxBody, m, logger),
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &pushBundle{srv: srv, store: st, dsn: dsn}
}

func validator(t testing.TB) *schema.Registry {
	t.Helper()
	r, err := schema.Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (b *pushBundle) post(t testing.TB, path string, body []byte, auth func(*http.Request)) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != nil {
		auth(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func basicAuth(r *http.Request) { r.SetBasicAuth("s360", "open-sesame") }

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../testdata/s360/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPushesAreStoredOnceOnBothEngines(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			b := setupPush(t, engine, 1<<20)
			for _, tt := range []struct {
				stream usher.Stream
				file   string
				n      int
			}{
				{usher.StreamContacts, "contacts.json", 2},
				{usher.StreamOrders, "orders.json", 1},
				{usher.StreamTicketChecks, "ticketchecks.json", 2},
			} {
				body := fixture(t, tt.file)
				path := "/s360/" + string(tt.stream) + "/myvenue"
				status, resp := b.post(t, path, body, basicAuth)
				if status != 200 || !strings.Contains(resp, `"stored":`+itoa(tt.n)) {
					t.Fatalf("%s first push: %d %s", tt.stream, status, resp)
				}
				status, resp = b.post(t, path, body, basicAuth)
				if status != 200 || !strings.Contains(resp, `"duplicate":`+itoa(tt.n)) {
					t.Fatalf("%s retry: %d %s", tt.stream, status, resp)
				}
				docs, err := b.store.FindDocuments(context.Background(), usher.DocumentFilter{Institution: "myvenue", Stream: tt.stream, AllVersions: true})
				if err != nil {
					t.Fatal(err)
				}
				if len(docs) != tt.n {
					t.Fatalf("%s: %d stored, want %d", tt.stream, len(docs), tt.n)
				}
			}
		})
	}
}

// TestSingleOrderObjectIsAccepted covers the assumption (docs/upstreams.md)
// that a push may carry one bare object rather than an array.
func TestSingleOrderObjectIsAccepted(t *testing.T) {
	b := setupPush(t, "sqlite", 1<<20)
	var orders []json.RawMessage
	if err := json.Unmarshal(fixture(t, "orders.json"), &orders); err != nil {
		t.Fatal(err)
	}
	status, resp := b.post(t, "/s360/orders/myvenue", orders[0], basicAuth)
	if status != 200 || !strings.Contains(resp, `"stored":1`) {
		t.Fatalf("%d %s", status, resp)
	}
}

func TestErrorStatuses(t *testing.T) {
	b := setupPush(t, "sqlite", 4096)
	checks := fixture(t, "ticketchecks.json")
	for _, tt := range []struct {
		name   string
		path   string
		body   []byte
		auth   func(*http.Request)
		status int
		msg    string
	}{
		{"no credentials", "/s360/ticketchecks/myvenue", checks, nil, 401, "basic credentials"},
		{"wrong password", "/s360/ticketchecks/myvenue", checks, func(r *http.Request) { r.SetBasicAuth("s360", "nope") }, 401, "basic"},
		{"A's credentials on B", "/s360/ticketchecks/other", checks, basicAuth, 401, "API key"},
		{"B's key on A", "/s360/ticketchecks/myvenue", checks, func(r *http.Request) { r.Header.Set("X-Api-Key", "other-key") }, 401, "basic"},
		{"unknown institution", "/s360/ticketchecks/nowhere", checks, basicAuth, 404, "unknown institution"},
		{"unknown stream", "/s360/tickets/myvenue", checks, basicAuth, 404, "unknown stream"},
		{"not json", "/s360/ticketchecks/myvenue", []byte(`[{"ticket_check_id": 1`), basicAuth, 400, "not valid JSON"},
		{"not an array", "/s360/ticketchecks/myvenue", []byte(`"hello"`), basicAuth, 400, "expected an array"},
		{"too large", "/s360/ticketchecks/myvenue", bytes.Repeat([]byte(" "), 5000), basicAuth, 413, "over the limit"},
		{"api key ok", "/s360/ticketchecks/other", checks, func(r *http.Request) { r.Header.Set("X-Api-Key", "other-key") }, 200, "stored"},
		{"no auth needed", "/s360/ticketchecks/open", checks, nil, 200, "stored"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, resp := b.post(t, tt.path, tt.body, tt.auth)
			if status != tt.status || !strings.Contains(resp, tt.msg) {
				t.Fatalf("got %d %s, want %d containing %q", status, resp, tt.status, tt.msg)
			}
			if strings.Contains(resp, "open-sesame") || strings.Contains(resp, "other-key") {
				t.Fatalf("response leaks a secret: %s", resp)
			}
		})
	}
	docs, _ := b.store.FindDocuments(context.Background(), usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamTicketChecks})
	if len(docs) != 0 {
		t.Fatalf("rejected pushes stored %d checks for myvenue", len(docs))
	}
}

func TestChunkedBodyOverLimitIs413(t *testing.T) {
	b := setupPush(t, "sqlite", 2048)
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte("["))
		for range 200 {
			pw.Write([]byte(`{"ticket_check_id":1},`))
		}
		pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/s360/ticketchecks/open", pr)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
}

func TestWrongMethodIs405(t *testing.T) {
	b := setupPush(t, "sqlite", 4096)
	resp, err := http.Get(b.srv.URL + "/s360/ticketchecks/open")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("status %d, want 405", resp.StatusCode)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestHostileBodies covers the shapes issue 8 names beyond what the fuzzer
// finds on its own: a 10 MB string, deep nesting, huge numbers, duplicate
// keys and content types other than JSON. None may cost more than a 4xx,
// and S-360's undocumented Content-Type must not matter.
func TestHostileBodies(t *testing.T) {
	b := setupPush(t, "sqlite", 4<<20)
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	for _, tt := range []struct {
		name        string
		body        string
		contentType string
		want        int
	}{
		{"10 MB string", `[{"contactNumber":"` + strings.Repeat("x", 10<<20) + `"}]`, "application/json", 413},
		{"deep nesting", deep, "application/json", 400},
		{"huge number id", `[{"ticket_check_id":1e999,"access_time":"2023-02-09 18:25:10"}]`, "application/json", 200},
		{"duplicate keys", `[{"contactNumber":"1","contactNumber":"2","lastUpdateDate":"2023-01-01T00:00:00.000+00:00"}]`, "application/json", 200},
		{"text/plain", `[{"contactNumber":"5","lastUpdateDate":"2023-01-01T00:00:00.000+00:00"}]`, "text/plain", 200},
		{"no content type", `[{"contactNumber":"6","lastUpdateDate":"2023-01-01T00:00:00.000+00:00"}]`, "", 200},
		{"form", `a=b`, "application/x-www-form-urlencoded", 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/s360/contacts/open", strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d %s, want %d", resp.StatusCode, clipBody(body), tt.want)
			}
		})
	}
}

func clipBody(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
