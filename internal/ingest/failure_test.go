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

// A payload the database refuses half-way leaves nothing behind, whether
// it was stored in one statement or, because an id repeats, in one per
// document (on PostgreSQL in one batch without BEGIN, as an implicit
// transaction: the last statement's failure must take back the others).
func TestFailedCommitIs503AndStoresNothing(t *testing.T) {
	payloads := map[string]string{
		"distinct ids": `[
				{"contactNumber":"1","lastUpdateDate":"2023-01-01T00:00:00.000+00:00"},
				{"contactNumber":"2","lastUpdateDate":"2023-01-01T00:00:00.000+00:00"},
				{"contactNumber":"boom","lastUpdateDate":"2023-01-01T00:00:00.000+00:00"}]`,
		"a repeated id": `[
				{"contactNumber":"7","lastUpdateDate":"2023-01-01T00:00:00.000+00:00"},
				{"contactNumber":"7","lastUpdateDate":"2023-01-02T00:00:00.000+00:00"},
				{"contactNumber":"boom","lastUpdateDate":"2023-01-01T00:00:00.000+00:00"}]`,
	}
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			b := setupPush(t, engine, 1<<20)
			failOnExternalID(t, engine, b.dsn)
			for name, payload := range payloads {
				status, resp := b.post(t, "/s360/contacts/myvenue", []byte(payload), basicAuth)
				if status != http.StatusServiceUnavailable {
					t.Fatalf("%s: status %d %s, want 503", name, status, resp)
				}
				if strings.Contains(resp, "disk full") {
					t.Fatalf("%s: internal error leaked to the client: %s", name, resp)
				}
				docs, err := b.store.FindDocuments(context.Background(), usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamContacts, AllVersions: true})
				if err != nil {
					t.Fatal(err)
				}
				if len(docs) != 0 {
					t.Fatalf("%s: a failed payload left %d versions behind", name, len(docs))
				}
			}
			// The retry without the poisoned document goes through whole.
			retry := strings.Replace(payloads["distinct ids"], `"boom"`, `"3"`, 1)
			status, resp := b.post(t, "/s360/contacts/myvenue", []byte(retry), basicAuth)
			if status != 200 || !strings.Contains(resp, `"stored":3`) {
				t.Fatalf("retry: %d %s", status, resp)
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
