package ingest_test

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/testdb"
)

// failOnExternalID makes the database itself refuse to store the
// document with external id "boom", so a payload fails half-way through
// its transaction exactly as it would on a full disk.
func failOnExternalID(t *testing.T, engine, dsn string) {
	t.Helper()
	ctx := context.Background()
	if engine == "sqlite" {
		db, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(dsn, "sqlite:")+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		_, err = db.ExecContext(ctx, `CREATE TRIGGER boom BEFORE INSERT ON documents
			WHEN NEW.external_id = 'boom' BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END`)
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `
		CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.external_id = 'boom' THEN RAISE EXCEPTION 'disk full (simulated)'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER boom BEFORE INSERT ON documents FOR EACH ROW EXECUTE FUNCTION boom();`)
	if err != nil {
		t.Fatal(err)
	}
}

func TestFailedCommitIs503AndStoresNothing(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			b := setupPush(t, engine, 1<<20)
			failOnExternalID(t, engine, b.dsn)
			payload := []byte(`[
				{"contactNumber":"1","lastUpdateDate":"2023-01-01T00:00:00.000+00:00"},
				{"contactNumber":"2","lastUpdateDate":"2023-01-01T00:00:00.000+00:00"},
				{"contactNumber":"boom","lastUpdateDate":"2023-01-01T00:00:00.000+00:00"}]`)
			status, resp := b.post(t, "/s360/contacts/myvenue", payload, basicAuth)
			if status != http.StatusServiceUnavailable {
				t.Fatalf("status %d %s, want 503", status, resp)
			}
			if strings.Contains(resp, "disk full") {
				t.Fatalf("internal error leaked to the client: %s", resp)
			}
			docs, err := b.store.FindDocuments(context.Background(), usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamContacts, AllVersions: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != 0 {
				t.Fatalf("a failed payload left %d documents behind", len(docs))
			}
			// The retry without the poisoned document goes through whole.
			status, resp = b.post(t, "/s360/contacts/myvenue", []byte(strings.Replace(string(payload), `"boom"`, `"3"`, 1)), basicAuth)
			if status != 200 || !strings.Contains(resp, `"stored":3`) {
				t.Fatalf("retry: %d %s", status, resp)
			}
		})
	}
}

// A payload that repeats an id is stored one statement per document (on
// PostgreSQL in one batch without BEGIN, as an implicit transaction): a
// failure in the last statement must take back the ones before it.
func TestFailedLaterStatementTakesBackEarlierOnes(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			b := setupPush(t, engine, 1<<20)
			failOnExternalID(t, engine, b.dsn)
			payload := []byte(`[
				{"contactNumber":"7","lastUpdateDate":"2023-01-01T00:00:00.000+00:00"},
				{"contactNumber":"7","lastUpdateDate":"2023-01-02T00:00:00.000+00:00"},
				{"contactNumber":"boom","lastUpdateDate":"2023-01-01T00:00:00.000+00:00"}]`)
			if status, resp := b.post(t, "/s360/contacts/myvenue", payload, basicAuth); status != http.StatusServiceUnavailable {
				t.Fatalf("status %d %s, want 503", status, resp)
			}
			docs, err := b.store.FindDocuments(context.Background(), usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamContacts, AllVersions: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != 0 {
				t.Fatalf("a failed payload left %d versions behind", len(docs))
			}
		})
	}
}

func TestDatabaseGoneIs503AndNotReady(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			b := setupPush(t, engine, 1<<20)
			b.store.Close()
			status, resp := b.post(t, "/s360/ticketchecks/myvenue", fixture(t, "ticketchecks.json"), basicAuth)
			if status != http.StatusServiceUnavailable || !strings.Contains(resp, "database unavailable") {
				t.Fatalf("push: %d %s, want 503", status, resp)
			}
			r, err := http.Get(b.srv.URL + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("readyz %d, want 503", r.StatusCode)
			}
		})
	}
}
