package quarantine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/httpapi"
	"github.com/usher-hub/usher/internal/quarantine"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/testdb"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func openStore(t testing.TB, engine string) usher.Store {
	t.Helper()
	st, err := store.Open(context.Background(), testdb.DSN(t, engine), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// apiServer serves the listing the way cmd/usher mounts it, behind keys
// "key-a" (venue-a only) and "key-admin" (every institution).
func apiServer(t testing.TB, st usher.Store) *httptest.Server {
	t.Helper()
	keys := httpapi.NewAPIKeys([]usher.APIKey{
		{Name: "a", Secret: "key-a", Institutions: []string{"venue-a"}},
		{Name: "admin", Secret: "key-admin", Institutions: []string{"*"}},
	})
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/quarantine", keys.Require(discard, quarantine.NewHandler(st, discard)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t testing.TB, srv *httptest.Server, key, query string) (int, quarantine.Page, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/quarantine?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var page quarantine.Page
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("body is not JSON: %s", data)
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, &page); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, page, raw
}

func quarantineSome(t testing.TB, st usher.Store) {
	t.Helper()
	var bad []usher.QuarantinedDocument
	for i, d := range []struct {
		inst   string
		stream usher.Stream
		raw    string
	}{
		{"venue-a", usher.StreamContacts, `{"contactNumber": 1}`},
		{"venue-a", usher.StreamOrders, `{"orderDetailsData": {}}`},
		{"venue-b", usher.StreamContacts, `{"contactNumber": 2}`},
		{"venue-b", usher.StreamContacts, "{\"contactNumber\": \"\xff\"}"},
	} {
		bad = append(bad, usher.QuarantinedDocument{Institution: d.inst, Stream: d.stream, DocType: usher.DocTypeOf(d.stream),
			Hash: fmt.Sprint("h", i), Raw: []byte(d.raw), SchemaVersion: "1 (test)",
			Violations: []usher.Violation{{Path: "$.contactNumber", Message: "expected string, got number 1"}}})
	}
	if _, err := st.SaveDocumentsAndQuarantine(context.Background(), nil, bad); err != nil {
		t.Fatal(err)
	}
}

func TestListScopedByKey(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			st := openStore(t, engine)
			quarantineSome(t, st)
			srv := apiServer(t, st)
			institutionsOf := func(p quarantine.Page) string {
				s := ""
				for _, it := range p.Items {
					s += it.Institution + " "
				}
				return s
			}
			if status, _, _ := get(t, srv, "", ""); status != http.StatusUnauthorized {
				t.Fatalf("without a key: %d, want 401", status)
			}
			if status, _, _ := get(t, srv, "wrong", ""); status != http.StatusUnauthorized {
				t.Fatalf("with a wrong key: %d, want 401", status)
			}
			cases := []struct {
				key, query, want string
			}{
				{"key-a", "", "venue-a venue-a "},
				{"key-a", "institution=venue-a&stream=orders", "venue-a "},
				{"key-admin", "", "venue-a venue-a venue-b venue-b "},
				{"key-admin", "institution=venue-b", "venue-b venue-b "},
				{"key-admin", "status=released", ""},
				{"key-admin", "status=all&stream=contacts", "venue-a venue-b venue-b "},
			}
			for _, c := range cases {
				status, page, raw := get(t, srv, c.key, c.query)
				if status != http.StatusOK || institutionsOf(page) != c.want {
					t.Errorf("%s ?%s: %d %q (%v), want %q", c.key, c.query, status, institutionsOf(page), raw, c.want)
				}
			}
			if status, _, raw := get(t, srv, "key-a", "institution=venue-b"); status != http.StatusNotFound {
				t.Fatalf("key-a asking for venue-b: %d %v, want 404 as if it did not exist", status, raw)
			}
		})
	}
}

func TestListShowsDocumentAndPages(t *testing.T) {
	st := openStore(t, "sqlite")
	quarantineSome(t, st)
	srv := apiServer(t, st)
	status, page, _ := get(t, srv, "key-admin", "limit=3")
	if status != http.StatusOK || len(page.Items) != 3 || page.NextAfterID != page.Items[2].ID {
		t.Fatalf("page 1: %d, %d items, next %d", status, len(page.Items), page.NextAfterID)
	}
	first := page.Items[0]
	if string(first.Document) != `{"contactNumber":1}` || first.Status != "pending" || first.Violations[0].Path != "$.contactNumber" ||
		first.SchemaVersion != "1 (test)" || first.SeenCount != 1 || first.ReceivedAt.IsZero() {
		t.Fatalf("item = %+v", first)
	}
	_, page2, _ := get(t, srv, "key-admin", fmt.Sprintf("limit=3&after_id=%d", page.NextAfterID))
	if len(page2.Items) != 1 || page2.NextAfterID != 0 {
		t.Fatalf("page 2: %+v", page2)
	}
	if last := page2.Items[0]; last.Document != nil || string(last.DocumentBase64) != "{\"contactNumber\": \"\xff\"}" {
		t.Fatalf("a body that is not UTF-8 must come back as base64, byte for byte: %+v", last)
	}
}

func TestListRejectsBadQueries(t *testing.T) {
	srv := apiServer(t, openStore(t, "sqlite"))
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "after_id=-1", "stream=nope", "status=gone",
		"institutions=venue-a", "institution=a&institution=b",
		// r.URL.Query() drops what it cannot parse, so these listed everything (issue 16).
		"institution=venue-a;x", "stream=contacts;", "%zz", "status=all&limit=1%"} {
		status, _, raw := get(t, srv, "key-admin", q)
		e, _ := raw["error"].(map[string]any)
		if status != http.StatusBadRequest || e["code"] != "invalid" || e["message"] == "" {
			t.Errorf("?%s: %d %v, want 400 with a message", q, status, raw)
		}
	}
}

// FuzzListQuery sends arbitrary query strings: the answer is always JSON
// with 200, 400 or 404, and a scoped key never sees another institution.
func FuzzListQuery(f *testing.F) {
	for _, q := range []string{"", "institution=venue-b", "stream=contacts&status=all", "limit=1&after_id=1",
		"limit=99999999999999999999", "status=", "institution=", "%zz", "a=1&a=2", "after_id=9223372036854775808"} {
		f.Add(q)
	}
	st := openStore(f, "sqlite")
	quarantineSome(f, st)
	srv := apiServer(f, st)
	f.Fuzz(func(t *testing.T, query string) {
		// Send what a client can put in a URL; the server's own request
		// parsing, not this handler, refuses the rest.
		if values, err := url.ParseQuery(query); err == nil {
			query = values.Encode()
		} else {
			query = url.QueryEscape(query)
		}
		status, page, raw := get(t, srv, "key-a", query)
		switch status {
		case http.StatusOK:
			for _, it := range page.Items {
				if it.Institution != "venue-a" {
					t.Fatalf("?%s: key-a saw %s", query, it.Institution)
				}
			}
		case http.StatusBadRequest, http.StatusNotFound:
			if e, _ := raw["error"].(map[string]any); e["message"] == "" {
				t.Fatalf("?%s: error without a message: %v", query, raw)
			}
		default:
			t.Fatalf("?%s: status %d %v", query, status, raw)
		}
	})
}
