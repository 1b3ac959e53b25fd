package postgres

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/testdb"
)

// A payload's contacts and orders go in one saveVersionsSQL unless an id
// repeats among them, which only the same institution, stream and
// external id make: then one saveVersionsSQL each, in the payload's order.
func TestQueueDocumentsFallsBackOnARepeatedID(t *testing.T) {
	doc := func(inst string, stream usher.Stream, id, hash string) usher.Document {
		return usher.Document{Institution: inst, Stream: stream, ExternalID: id, Hash: hash, Raw: []byte(`{}`)}
	}
	distinct := []usher.Document{
		doc("a", usher.StreamContacts, "1", "h1"),
		doc("a", usher.StreamOrders, "1", "h1"),
		doc("b", usher.StreamContacts, "1", "h1"),
		doc("a", usher.StreamCentamanMember, "1", "h1"),
	}
	for _, tc := range []struct {
		name string
		docs []usher.Document
		plan batchPlan
		want []string
	}{
		{"distinct", distinct, batchPlan{versions: true}, []string{saveVersionsSQL}},
		{"same content twice", append(slices.Clone(distinct), distinct[1]), batchPlan{},
			slices.Repeat([]string{saveVersionsSQL}, 5)},
		{"new content", []usher.Document{distinct[0], doc("a", usher.StreamContacts, "1", "h2")}, batchPlan{},
			slices.Repeat([]string{saveVersionsSQL}, 2)},
		{"none", nil, batchPlan{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b pgx.Batch
			plan, err := queueDocuments(&b, tc.docs, receivedAll(time.Now(), len(tc.docs)), false)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, q := range b.QueuedQueries {
				got = append(got, q.SQL)
			}
			if plan != tc.plan || !slices.Equal(got, tc.want) {
				t.Fatalf("plan %+v with %d statements, want %+v with %d", plan, len(got), tc.plan, len(tc.want))
			}
		})
	}
}

// Without planner statistics (autovacuum off, or before its first
// ANALYZE), the generic plan that saveVersionsSQL gets on a connection
// must still find a head by its primary key and a highest version through
// the version key, whatever the size of the tables when it was made: a
// hashed scan of every head or a walk through the stream's every version
// (the documents_received index) would cost each payload the size of the
// tables.
func TestSaveVersionsPlanWithoutStatistics(t *testing.T) {
	ctx := context.Background()
	dsn := testdb.Postgres(t)
	s, err := Open(ctx, dsn, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SET plan_cache_mode = force_generic_plan`); err != nil {
		t.Fatal(err)
	}
	stored := 0
	for _, size := range []int{0, 300, 1000, 5000, 50000} {
		if err := storeVersions(ctx, conn, stored, size); err != nil {
			t.Fatal(err)
		}
		stored = size
		plan := explainSaveVersions(t, ctx, conn)
		for _, bad := range []string{"documents_received", "Seq Scan", "hashed SubPlan"} {
			if strings.Contains(plan, bad) {
				t.Fatalf("with %d documents, the generic plan has %q:\n%s", size, bad, plan)
			}
		}
		for _, good := range []string{"document_heads_pkey", "documents_institution_stream_external_id_version_key"} {
			if !strings.Contains(plan, good) {
				t.Fatalf("with %d documents, the generic plan does not use %s:\n%s", size, good, plan)
			}
		}
	}
}

// storeVersions stores documents from to until, in bulk, as payloads of
// new versions of the same 50 contacts or 50 orders would: the planner
// sees the tables' sizes, never statistics.
func storeVersions(ctx context.Context, conn *pgx.Conn, from, until int) error {
	_, err := conn.Exec(ctx, `
		WITH ins AS (
			INSERT INTO documents (institution, stream, external_id, version, content_hash, body, upstream_updated_at, received_at)
			SELECT 'a', (ARRAY['contacts', 'orders'])[g / 50 % 2 + 1], (g % 50)::text, g / 100 + 1, md5(g::text) || md5(g::text),
				jsonb_build_object('id', g % 50, 'rev', g / 50), '2023-01-01', now()
			FROM generate_series($1::int, $2::int - 1) g
			RETURNING id, stream, external_id, version, upstream_updated_at
		)
		INSERT INTO document_heads (institution, stream, external_id, document_id, version, upstream_updated_at)
		SELECT DISTINCT ON (stream, external_id) 'a', stream, external_id, id, version, upstream_updated_at
		FROM ins ORDER BY stream, external_id, version DESC
		ON CONFLICT (institution, stream, external_id) DO UPDATE SET document_id = excluded.document_id, version = excluded.version`,
		from, until)
	return err
}

// explainSaveVersions returns the generic plan saveVersionsSQL gets now.
func explainSaveVersions(t *testing.T, ctx context.Context, conn *pgx.Conn) string {
	t.Helper()
	_, err := conn.Exec(ctx, `PREPARE save_versions(text[], text[], text[], text[], text[], timestamptz[], timestamptz[]) AS `+saveVersionsSQL)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, `EXPLAIN (COSTS OFF) EXECUTE save_versions($1, $2, $3, $4, $5, $6, $7)`,
		pgx.QueryExecModeSimpleProtocol, []string{"a", "a"}, []string{"contacts", "contacts"}, []string{"1", "new"},
		[]string{"x", "y"}, []string{"{}", "{}"}, []*time.Time{nil, nil}, receivedAll(time.Now(), 2))
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	// The next call plans again, for the tables' new size.
	if _, err := conn.Exec(ctx, `DEALLOCATE save_versions`); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
