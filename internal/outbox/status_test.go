package outbox_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/httpapi"
	"github.com/usher-hub/usher/internal/outbox"
	"github.com/usher-hub/usher/internal/store"
)

func statusServer(t testing.TB) *httptest.Server {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "usher.db"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var jobs []usher.NewJob
	for i, inst := range []string{"a", "a", "b"} {
		jobs = append(jobs, usher.NewJob{Institution: inst, Kind: usher.KindCRMDelivery, OrderKey: "k", IdempotencyKey: string(rune('0' + i)),
			Payload: json.RawMessage(`{}`), MaxAttempts: 1})
	}
	if _, err := st.EnqueueJobs(context.Background(), jobs); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	extra := func(ctx context.Context, code string) (map[string]any, error) {
		return map[string]any{"s360": map[string]any{"circuit": "closed"}}, nil
	}
	keys := httpapi.NewAPIKeys([]usher.APIKey{{Name: "a", Secret: "key-a", Institutions: []string{"a"}}, {Name: "admin", Secret: "admin", Institutions: []string{"*"}}})
	srv := httptest.NewServer(keys.Require(logger, outbox.NewStatusHandler(st, []string{"a", "b"}, extra, logger)))
	t.Cleanup(srv.Close)
	return srv
}

func getStatus(t testing.TB, srv *httptest.Server, key, query string) (int, outbox.StatusBody) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/outbox"+query, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body outbox.StatusBody
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestStatusIsScopedToTheKey(t *testing.T) {
	srv := statusServer(t)
	status, body := getStatus(t, srv, "key-a", "")
	if status != 200 || len(body.Institutions) != 1 || body.Institutions[0].Institution != "a" {
		t.Fatalf("%d %+v: key a must see institution a only", status, body)
	}
	a := body.Institutions[0]
	if a.Jobs[usher.JobQueued] != 2 || a.Jobs[usher.JobDone] != 0 || a.Kinds[usher.KindCRMDelivery][usher.JobQueued] != 2 || a.Extra["s360"] == nil {
		t.Fatalf("status of a = %+v", a)
	}
	if status, _ := getStatus(t, srv, "key-a", "?institution=b"); status != 404 {
		t.Fatalf("key a asking for b: %d, want 404", status)
	}
	if status, body := getStatus(t, srv, "admin", ""); status != 200 || len(body.Institutions) != 2 {
		t.Fatalf("admin: %d %+v, want both institutions", status, body)
	}
}

// TestStatusRejectsMalformedQuery: a filter r.URL.Query() could not parse
// was dropped and the answer listed every institution (issue 16).
func TestStatusRejectsMalformedQuery(t *testing.T) {
	srv := statusServer(t)
	for _, q := range []string{"?institution=a;b", "?institution=%zz", "?institution=b&x=1;"} {
		if status, body := getStatus(t, srv, "admin", q); status != 400 {
			t.Errorf("%s: %d %+v, want 400", q, status, body)
		}
	}
}

// FuzzOutboxStatus: any institution filter is answered 200 or 404.
func FuzzOutboxStatus(f *testing.F) {
	for _, seed := range []string{"a", "b", "", "*", "a%00", "../a", "A"} {
		f.Add(seed)
	}
	srv := statusServer(f)
	f.Fuzz(func(t *testing.T, inst string) {
		status, body := getStatus(t, srv, "key-a", "?institution="+url.QueryEscape(inst))
		switch {
		case status == 200 && (inst == "" || inst == "a") && len(body.Institutions) == 1:
		case status == 404 && inst != "" && inst != "a":
		default:
			t.Fatalf("institution %q: %d %+v", inst, status, body)
		}
	})
}
