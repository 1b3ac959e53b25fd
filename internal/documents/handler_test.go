package documents

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/docdiff"
	"github.com/usher-hub/usher/internal/httpapi"
	"github.com/usher-hub/usher/internal/schema"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/testdb"
)

const (
	venueKey = "venue-key-0123456789"
	otherKey = "other-key-0123456789"
)

// newAPI serves the API over a SQLite store holding order 42 in three
// versions (OPEN, PAID, PAID with a changed e-mail) for myvenue.
func newAPI(t testing.TB) http.Handler {
	t.Helper()
	st, err := store.Open(context.Background(), testdb.SQLite(t), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, v := range []struct{ state, email string }{{"OPEN", "a@example.org"}, {"PAID", "a@example.org"}, {"PAID", "b@example.org"}} {
		raw := fmt.Sprintf(`{"orderDetailsData":{"orderId":42,"orderState":%q},"customer":{"email":%q}}`, v.state, v.email)
		h, err := usher.HashJSON([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveDocuments(context.Background(), []usher.Document{{Institution: "myvenue", Stream: usher.StreamOrders,
			ExternalID: "42", Hash: h, Raw: json.RawMessage(raw)}}); err != nil {
			t.Fatal(err)
		}
	}
	keys := httpapi.NewAPIKeys([]usher.APIKey{{Name: "venue", Secret: venueKey, Institutions: []string{"myvenue"}},
		{Name: "other", Secret: otherKey, Institutions: []string{"othervenue"}}})
	mux := http.NewServeMux()
	NewHandler(st, []string{"myvenue", "othervenue"}, slog.New(slog.NewTextHandler(io.Discard, nil))).Mount(mux, keys)
	return mux
}

func get(h http.Handler, key, target string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	path, query, _ := strings.Cut(target, "?")
	req.URL.Path, req.URL.RawQuery = path, query
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestDocumentsAPI(t *testing.T) {
	h := newAPI(t)
	const base = "/api/v1/documents/myvenue/orders"

	w := get(h, venueKey, base+"?path=$.orderDetailsData.orderState&equals=PAID&limit=1")
	var page Page
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &page) != nil || len(page.Documents) != 1 || page.NextCursor == "" ||
		page.Documents[0].Version != 3 || !page.Documents[0].Current {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	w = get(h, venueKey, base+"?path=$.orderDetailsData.orderState&equals=PAID&limit=1&cursor="+page.NextCursor)
	if err := json.Unmarshal(w.Body.Bytes(), &page); w.Code != 200 || err != nil || len(page.Documents) != 1 || page.Documents[0].Version != 2 || page.Documents[0].Current {
		t.Fatalf("second page: %d %s", w.Code, w.Body)
	}

	w = get(h, venueKey, base+"/42")
	var vs Versions
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &vs) != nil || len(vs.Versions) != 3 || vs.Versions[0].Version != 3 || vs.Versions[0].ContentHash == "" {
		t.Fatalf("versions: %d %s", w.Code, w.Body)
	}

	w = get(h, venueKey, base+"/42/versions/1")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" || !strings.Contains(w.Body.String(), `"OPEN"`) {
		t.Fatalf("body: %d %q %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}

	w = get(h, venueKey, base+"/42/diff?from=1&to=3")
	var d DiffBody
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &d) != nil || len(d.Changes) != 2 ||
		d.Changes[0].Path != "$.customer.email" || d.Changes[1].Path != "$.orderDetailsData.orderState" || d.Changes[1].To != "PAID" {
		t.Fatalf("diff: %d %s", w.Code, w.Body)
	}

	for _, c := range []struct {
		key, target string
		status      int
	}{
		{"", base, 401},
		{"wrong-key-0123456789", base, 401},
		{otherKey, base, 404},
		{otherKey, base + "/42", 404},
		{venueKey, "/api/v1/documents/nowhere/orders", 404},
		{otherKey, "/api/v1/documents/othervenue/orders", 200},
		{venueKey, base + "/43", 404},
		{venueKey, base + "/42/versions/4", 404},
		{venueKey, base + "/42/diff?from=1&to=9", 404},
		{venueKey, base + "?color=red", 400},
		{venueKey, base + "?limit=0", 400},
		{venueKey, base + "?limit=1&limit=2", 400},
		{venueKey, base + "?from=yesterday", 400},
		{venueKey, base + "?path=$.a;DROP", 400},
		{venueKey, base + "?equals=1", 400},
		{venueKey, base + "?cursor=x", 400},
		{venueKey, base + "?valid=maybe", 400},
		{venueKey, base + "?a=%zz", 400},
		{venueKey, "/api/v1/documents/myvenue/ticketchecks", 400},
		{venueKey, base + "/42/versions/one", 400},
		{venueKey, base + "/42/versions/1?pretty=1", 400},
		{venueKey, base + "/42?x=1", 400},
		{venueKey, base + "/42/diff?from=1", 400},
		{venueKey, base + "/42/diff?from=1&to=2&by=key", 400},
		{venueKey, base + "?limit=100000", 200},
		{venueKey, base + "?valid=quarantined", 200},
		{venueKey, base + "?from=2000-01-01&to=2100-01-01T00:00:00Z", 200},
	} {
		w := get(h, c.key, c.target)
		if w.Code != c.status {
			t.Errorf("GET %s with %q: %d %s, want %d", c.target, c.key, w.Code, w.Body, c.status)
		}
		if w.Code >= 400 && !strings.Contains(w.Body.String(), `"message"`) {
			t.Errorf("GET %s: error without a message: %s", c.target, w.Body)
		}
	}
}

// FuzzDocumentsAPI sends any path under /api/v1/documents/ and any query
// with a valid key: the answer is never a server error, and a 200 is
// JSON. The seeds run with every go test.
func FuzzDocumentsAPI(f *testing.F) {
	for _, s := range [][2]string{
		{"myvenue/orders", "path=$.orderDetailsData.orderState&equals=PAID"},
		{"myvenue/orders", "limit=1&cursor=cXwyMDI2LTAxLTAxVDAwOjAwOjAwWnwx"},
		{"myvenue/orders", "path=$.a[999999].b&equals=null&from=2020-01-01"},
		{"myvenue/orders", "path=$.orderDetailsData.orderId&equals=42.0e0&valid=stored"},
		{"myvenue/orders/42", ""},
		{"myvenue/orders/42/versions/2", ""},
		{"myvenue/orders/42/diff", "from=1&to=3"},
		{"myvenue/orders/42/diff", "from=99999999999999999999&to=-1"},
		{"myvenue/contacts/%00", ""},
		{"myvenue/centaman.timed_ticket_type", "external_id=x"},
		{"othervenue/orders", "valid=quarantined&path=$.x&equals=1"},
	} {
		f.Add(s[0], s[1])
	}
	h := newAPI(f)
	f.Fuzz(func(t *testing.T, path, query string) {
		w := get(h, venueKey, "/api/v1/documents/"+path+"?"+query)
		if w.Code >= 500 {
			t.Fatalf("GET %q ? %q: %d %s", path, query, w.Code, w.Body)
		}
		if w.Code == 200 && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("GET %q ? %q: 200 with a body that is not JSON: %q", path, query, w.Body)
		}
	})
}

// TestDiffMatchesKeyedElements: with the keys of the built-in order
// schema, an order whose operations come back in another order and one
// changed quantity diffs to that quantity, named by its operation's id;
// without keys, by position, every field of both operations.
func TestDiffMatchesKeyedElements(t *testing.T) {
	st, err := store.Open(context.Background(), testdb.SQLite(t), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, ops := range []string{`[{"operationId":1,"quantity":1},{"operationId":2,"quantity":2}]`, `[{"operationId":2,"quantity":3},{"operationId":1,"quantity":1}]`} {
		raw := `{"orderDetailsData":{"orderId":43,"operationDatas":` + ops + `}}`
		h, err := usher.HashJSON([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveDocuments(context.Background(), []usher.Document{{Institution: "myvenue", Stream: usher.StreamOrders,
			ExternalID: "43", Hash: h, Raw: json.RawMessage(raw)}}); err != nil {
			t.Fatal(err)
		}
	}
	reg, err := schema.Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	schemaKeys := func(inst string, stream usher.Stream) docdiff.Keys {
		return reg.ArrayKeys(inst, usher.DocTypeOf(stream))
	}
	apiKeys := httpapi.NewAPIKeys([]usher.APIKey{{Name: "venue", Secret: venueKey, Institutions: []string{"myvenue"}}})
	for _, c := range []struct {
		keys ArrayKeys
		want string
	}{
		{schemaKeys, `{"from":1,"to":2,"changes":[{"path":"$.orderDetailsData.operationDatas[?(@.operationId==2)].quantity","op":"replace","from":2,"to":3}]}`},
		{nil, `{"from":1,"to":2,"changes":[` +
			`{"path":"$.orderDetailsData.operationDatas[0].operationId","op":"replace","from":1,"to":2},` +
			`{"path":"$.orderDetailsData.operationDatas[0].quantity","op":"replace","from":1,"to":3},` +
			`{"path":"$.orderDetailsData.operationDatas[1].operationId","op":"replace","from":2,"to":1},` +
			`{"path":"$.orderDetailsData.operationDatas[1].quantity","op":"replace","from":2,"to":1}]}`},
	} {
		mux := http.NewServeMux()
		NewHandler(st, []string{"myvenue"}, slog.New(slog.NewTextHandler(io.Discard, nil))).WithArrayKeys(c.keys).Mount(mux, apiKeys)
		w := get(mux, venueKey, "/api/v1/documents/myvenue/orders/43/diff?from=1&to=2")
		if got := strings.TrimSpace(w.Body.String()); w.Code != 200 || got != c.want {
			t.Errorf("diff: %d\n got %s\nwant %s", w.Code, got, c.want)
		}
	}
}
