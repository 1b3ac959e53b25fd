package ingest

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-hub/usher"
)

func newServer(t testing.TB, b bundle, maxBody int64) *httptest.Server {
	t.Helper()
	h := NewHandler(b.svc, []usher.Institution{quarantinePolicy, strictPolicy}, maxBody, b.metrics, slog.New(slog.NewTextHandler(io.Discard, nil)))
	mux := http.NewServeMux()
	mux.Handle("POST /s360/{stream}/{institution}", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func post(t testing.TB, srv *httptest.Server, path, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: response is not JSON: %v", path, err)
	}
	return resp.StatusCode, out
}

func TestHandlerAnswersByPolicy(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			srv := newServer(t, setup(t, engine, ""), 1<<20)
			status, body := post(t, srv, "/s360/ticketchecks/myvenue", mixedPayload)
			if status != http.StatusOK || body["stored"] != 1.0 || body["quarantined"] != 2.0 {
				t.Fatalf("quarantine policy: %d %v, want 200 with 1 stored, 2 quarantined", status, body)
			}
			if inv, _ := body["invalid"].([]any); len(inv) != 2 {
				t.Fatalf("quarantine policy: report %v, want 2 entries", body["invalid"])
			}
			status, body = post(t, srv, "/s360/ticketchecks/strictvenue", mixedPayload)
			e, _ := body["error"].(map[string]any)
			detail, _ := e["detail"].(map[string]any)
			invalid, _ := detail["invalid"].([]any)
			if status != http.StatusUnprocessableEntity || e["code"] != "unprocessable" || len(invalid) != 2 {
				t.Fatalf("strict policy: %d %v, want 422 with a report of 2", status, body)
			}
			first := invalid[0].(map[string]any)["violations"].([]any)[0].(map[string]any)
			if first["path"] != "$.check_flow" || first["message"] != `expected one of IN, OUT, got string "SIDEWAYS"` {
				t.Fatalf("strict report: %v", first)
			}
		})
	}
}

// FuzzIngest posts arbitrary bodies to both policies over real HTTP and a
// real SQLite store: the answer is always a JSON 200, 400, 413 or 422,
// never a 5xx (a document the database refuses must be quarantined, not
// fail the payload) and never a panic.
func FuzzIngest(f *testing.F) {
	for _, name := range []string{"contacts", "orders", "ticketchecks"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "s360", name+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(name, string(data), false)
	}
	f.Add("ticketchecks", mixedPayload, true)
	f.Add("contacts", `[5, null, {"contactNumber": "1\u0000"}, {"contactNumber": "\ud800"}]`, false)
	f.Add("contacts", "[{\"contactNumber\": \"\xff\"}]", false)
	f.Add("orders", `{"orderDetailsData": {"orderId": 1e400}}`, false)
	f.Add("orders", `[[], {}, ""]`, true)
	f.Add("contacts", `{`, false)
	f.Add("nosuch", `[]`, false)
	srv := newServer(f, setup(f, "sqlite", ""), 64<<10)
	f.Fuzz(func(t *testing.T, stream, body string, strict bool) {
		inst := "myvenue"
		if strict {
			inst = "strictvenue"
		}
		resp, err := http.Post(srv.URL+"/s360/"+urlSegment(stream)+"/"+inst, "application/json", bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		switch resp.StatusCode {
		case 200, 400, 404, 413, 422:
		default:
			data, _ := io.ReadAll(resp.Body)
			t.Fatalf("status %d for %q: %s", resp.StatusCode, body, data)
		}
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("status %d with a body that is not JSON: %v", resp.StatusCode, err)
		}
	})
}

// urlSegment keeps a fuzzed stream name one path segment.
func urlSegment(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r
		}
		return -1
	}, s)
	if s == "" {
		return "x"
	}
	return s
}
