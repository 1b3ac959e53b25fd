package store

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/testdb"
)

// browseBenchRows is how many orders the browse benchmark stores
// (USHER_BROWSE_ROWS, default 50,000): each request's work is bounded by
// the scan, so the figures should not move with it.
func browseBenchRows(b *testing.B) int {
	n := 50000
	if s := os.Getenv("USHER_BROWSE_ROWS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	return n
}

// browseBenchDSN opens the engine's database for the benchmark: a fresh
// one, or on PostgreSQL the one USHER_BROWSE_DSN names, kept between runs
// so that ten million orders are stored once (fillOrders skips a
// database that holds them already) and each timed run stays short.
func browseBenchDSN(b *testing.B, engine string) string {
	if dsn := os.Getenv("USHER_BROWSE_DSN"); dsn != "" && engine == "postgres" {
		return dsn
	}
	return testdb.DSN(b, engine)
}

// fillOrders stores n orders of about 1.4 kB (one version each, received
// a second apart) in one statement, as bench data: the store's own ingest
// would take minutes.
func fillOrders(b *testing.B, s *Store, n int) {
	ctx := context.Background()
	switch d := s.Driver().(type) {
	case interface{ Pool() *pgxpool.Pool }:
		var have int
		if err := d.Pool().QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM documents WHERE institution = 'v' LIMIT 1) x`).Scan(&have); err != nil {
			b.Fatal(err)
		}
		if have > 0 {
			return // a kept database (USHER_BROWSE_DSN), filled before
		}
		if _, err := d.Pool().Exec(ctx, `
			INSERT INTO documents (institution, stream, external_id, version, content_hash, body, received_at)
			SELECT 'v', 'orders', i::text, 1, md5(i::text),
				jsonb_build_object('orderDetailsData', jsonb_build_object('orderId', i,
					'orderState', CASE WHEN i % 1000 = 0 THEN 'CANCELLED' ELSE 'CLOSED' END,
					'saleAmount', i % 997, 'filler', repeat('x', 1300))),
				timestamptz '2026-01-01' + i * interval '1 second'
			FROM generate_series(1, $1) i`, n); err != nil {
			b.Fatal(err)
		}
		if _, err := d.Pool().Exec(ctx, `ANALYZE documents`); err != nil {
			b.Fatal(err)
		}
	case interface{ DB() (write, read *sql.DB) }:
		w, _ := d.DB()
		if _, err := w.ExecContext(ctx, `
			WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ?1)
			INSERT INTO documents (institution, stream, external_id, version, content_hash, body, received_at)
			SELECT 'v', 'orders', CAST(i AS TEXT), 1, hex(randomblob(16)),
				json_object('orderDetailsData', json_object('orderId', i,
					'orderState', CASE WHEN i % 1000 = 0 THEN 'CANCELLED' ELSE 'CLOSED' END,
					'saleAmount', i % 997, 'filler', printf('%.1300c', 'x'))),
				strftime('%Y-%m-%dT%H:%M:%S.000000Z', '2026-01-01', '+' || i || ' seconds')
			FROM g`, n); err != nil {
			b.Fatal(err)
		}
	default:
		b.Fatalf("no bulk fill for %T", d)
	}
}

// BenchmarkBrowse times the listing on both engines over
// browseBenchRows orders: a first page, a page with a path filter that
// matches one order in a thousand and one that matches none (the bounded
// scan reads 10,000 versions), one order's versions, then the two path
// filters again through an index on the path (documents.indexed_paths),
// whose build time it logs. It reports p50 and p95 per request.
func BenchmarkBrowse(b *testing.B) {
	ctx := context.Background()
	n := browseBenchRows(b)
	for _, engine := range testdb.Engines {
		b.Run(engine, func(b *testing.B) {
			s, err := Open(ctx, browseBenchDSN(b, engine), time.Now)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			fillOrders(b, s, n)
			state := "$.orderDetailsData.orderState"
			cases := []browseCase{
				{"page", usher.BrowseFilter{Limit: 50}},
				{"path", usher.BrowseFilter{Limit: 50, Path: state, Equals: "CANCELLED"}},
				{"pathNoMatch", usher.BrowseFilter{Limit: 50, Path: state, Equals: "OPEN"}},
				{"externalID", usher.BrowseFilter{Limit: 50, ExternalID: strconv.Itoa(n / 2)}},
			}
			for _, c := range cases {
				benchList(b, s, c)
			}
			// The same filters through an index on the path: built here
			// (or found built, in a kept database), then read.
			start := time.Now()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			if err := s.IndexPaths(ctx, []usher.IndexedPath{{Stream: usher.StreamOrders, Path: state}}, log); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: index on %s ready in %s over %d orders", engine, state, time.Since(start).Round(time.Millisecond), n)
			for _, c := range cases[1:3] {
				c.name += "Indexed"
				benchList(b, s, c)
			}
		})
	}
}

type browseCase struct {
	name string
	f    usher.BrowseFilter
}

// benchList times c's request, reporting p50 and p95.
func benchList(b *testing.B, s *Store, c browseCase) {
	b.Run(c.name, func(b *testing.B) {
		ctx := context.Background()
		f := c.f
		f.Institution, f.Stream = "v", usher.StreamOrders
		var took []time.Duration
		for b.Loop() {
			start := time.Now()
			if _, err := s.ListDocuments(ctx, f); err != nil {
				b.Fatal(err)
			}
			took = append(took, time.Since(start))
		}
		sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
		b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
	})
}
