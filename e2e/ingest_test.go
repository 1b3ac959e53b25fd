package e2e

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/usher-hub/usher/client"
	"github.com/usher-hub/usher/internal/testdb"
)

// TestServeStoresEachPushOnce is the foundation's end-to-end proof: the
// real binary, on each engine, receives the seed's ticket checks and
// realistic contacts and orders, three times, and holds exactly one copy.
func TestServeStoresEachPushOnce(t *testing.T) {
	t.Parallel()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			dsn := testdb.DSN(t, engine)
			cfg := writeConfigYAML(t, `
institutions:
  - code: myvenue
    auth: {mode: basic, username: s360, secret_env: E2E_PUSH_SECRET}
api_keys:
  - {name: admin, secret: `+adminKey+`, institutions: ["*"]}
`)
			srv := serveEnv(t, []string{"E2E_PUSH_SECRET=e2e-secret-value"}, "--config", cfg, "--database", dsn)
			c, ctx := srv.Client(adminKey), context.Background()
			auth := client.Basic("s360", "e2e-secret-value")
			want := map[client.Stream]int{client.StreamContacts: 2, client.StreamOrders: 1, client.StreamTicketChecks: 2}
			for stream, n := range want {
				for attempt := range 3 {
					rc, err := c.Push(ctx, "myvenue", stream, seed(t, stream), auth)
					if err != nil {
						t.Fatalf("%s attempt %d: %v", stream, attempt, err)
					}
					stored, dup := n, 0
					if attempt > 0 {
						stored, dup = 0, n
					}
					if rc.Stored != stored || rc.Duplicate != dup {
						t.Errorf("%s attempt %d: %+v, want %d stored and %d duplicates", stream, attempt, rc, stored, dup)
					}
				}
				_, err := c.Push(ctx, "myvenue", stream, seed(t, stream), client.Basic("s360", "wrong"))
				var e *client.Error
				if !errors.As(err, &e) || e.Status != http.StatusUnauthorized {
					t.Fatalf("%s with a wrong password: %v, want 401", stream, err)
				}
			}
			metrics, err := c.Metrics(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(metrics, `usher_documents_total{institution="myvenue",outcome="duplicate",stream="ticketchecks"} 4`) {
				t.Errorf("metrics lack the duplicate count:\n%s", grep(metrics, "usher_documents_total"))
			}
			// Every version usher holds, counted by usher.
			health, err := c.IngestHealth(ctx, "myvenue")
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range health.Streams {
				if s.Received != int64(want[s.Stream]) {
					t.Errorf("%s: %d stored, want exactly %d", s.Stream, s.Received, want[s.Stream])
				}
			}
			srv.Stop()
			if strings.Contains(srv.Logs(), "e2e-secret-value") {
				t.Fatal("the push secret appears in the logs")
			}
		})
	}
}

func TestServeReportsHealth(t *testing.T) {
	t.Parallel()
	c := serve(t, "--database", testdb.SQLite(t)).Client("")
	if err := c.Health(context.Background()); err != nil {
		t.Fatalf("healthz: %v", err)
	}
	if err := c.Ready(context.Background()); err != nil {
		t.Fatalf("readyz: %v", err)
	}
}

// TestServeAppliesTheIngestConfig: ingest.max_documents reaches the push
// handler (issue 16).
func TestServeAppliesTheIngestConfig(t *testing.T) {
	t.Parallel()
	cfg := writeConfigYAML(t, `
ingest:
  max_documents: 2
  writer_saturated_after: 30s
institutions:
  - code: myvenue
    auth: {mode: basic, username: s360, secret: e2e-secret-value-long}
`)
	c := serve(t, "--config", cfg, "--database", testdb.SQLite(t)).Client("")
	auth := client.Basic("s360", "e2e-secret-value-long")
	if _, err := c.Push(context.Background(), "myvenue", client.StreamContacts, seed(t, client.StreamContacts), auth); err != nil {
		t.Fatalf("two documents: %v", err)
	}
	three := []byte(`[{"contactNumber":"1"},{"contactNumber":"2"},{"contactNumber":"3"}]`)
	_, err := c.Push(context.Background(), "myvenue", client.StreamContacts, three, auth)
	var e *client.Error
	if !errors.As(err, &e) || e.Status != http.StatusRequestEntityTooLarge || !strings.Contains(e.Message, "ingest.max_documents") {
		t.Fatalf("three documents over a cap of two: %v, want 413 naming ingest.max_documents", err)
	}
}
