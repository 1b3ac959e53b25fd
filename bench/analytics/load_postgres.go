package analytics

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/store/postgres"
)

// openPostgres returns a store on the benchmark database of size on the
// server at baseURL, creating and loading it on first use.
func openPostgres(ctx context.Context, baseURL string, size Size, logf func(string, ...any)) (*postgres.Store, error) {
	name := fmt.Sprintf("usher_bench_c%d_o%d", size.Checks, size.Orders)
	if err := createDatabase(ctx, baseURL, name); err != nil {
		return nil, err
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, err
	}
	u.Path = "/" + name
	st, err := postgres.Open(ctx, u.String(), time.Now)
	if err != nil {
		return nil, err
	}
	if loaded(ctx, st, size) {
		return st, nil
	}
	if err := loadPostgres(ctx, st, size, logf); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

func createDatabase(ctx context.Context, baseURL, name string) error {
	admin, err := pgx.Connect(ctx, baseURL)
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	}
	return err
}

func loaded(ctx context.Context, st *postgres.Store, size Size) bool {
	var n int
	err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM bench_marker WHERE checks = $1 AND orders = $2`, size.Checks, size.Orders).Scan(&n)
	return err == nil && n == 1
}

// loadPostgres copies the venue into the raw tables with the analytics
// triggers off, then rebuilds the projections once: a bulk load through
// the ingest triggers would time the triggers, not the reports.
func loadPostgres(ctx context.Context, st *postgres.Store, size Size, logf func(string, ...any)) error {
	pool := st.Pool()
	for _, stmt := range []string{
		`DROP TABLE IF EXISTS bench_marker`,
		`TRUNCATE documents, document_heads, ticket_checks, attendance_hourly, gate_daily, order_movements, attendance_movement_daily, sales_daily, contacts_daily`,
		`ALTER TABLE ticket_checks DISABLE TRIGGER USER`,
		`ALTER TABLE documents DISABLE TRIGGER USER`,
		`ALTER TABLE document_heads DISABLE TRIGGER USER`,
	} {
		if _, err := pool.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	start := time.Now()
	received := time.Now().UTC()
	n, err := pool.CopyFrom(ctx, pgx.Identifier{"documents"},
		[]string{"institution", "stream", "external_id", "version", "content_hash", "body", "upstream_updated_at", "received_at"},
		&documentSource{size: size, received: received})
	if err != nil {
		return fmt.Errorf("copy documents: %w", err)
	}
	logf("postgres: %d documents copied in %s", n, time.Since(start).Round(time.Second))
	start = time.Now()
	n, err = pool.CopyFrom(ctx, pgx.Identifier{"ticket_checks"},
		[]string{"institution", "ticket_check_id", "movement_id", "ticket_id", "barcode", "access_time", "check_flow", "result", "failure_reason", "content_hash", "body", "received_at"},
		&checkSource{size: size, received: received})
	if err != nil {
		return fmt.Errorf("copy checks: %w", err)
	}
	logf("postgres: %d checks copied in %s", n, time.Since(start).Round(time.Second))
	for _, stmt := range []string{
		`INSERT INTO document_heads (institution, stream, external_id, document_id, version, upstream_updated_at)
			SELECT DISTINCT ON (institution, stream, external_id) institution, stream, external_id, id, version, upstream_updated_at
			FROM documents ORDER BY institution, stream, external_id, version DESC`,
		`ALTER TABLE ticket_checks ENABLE TRIGGER USER`,
		`ALTER TABLE documents ENABLE TRIGGER USER`,
		`ALTER TABLE document_heads ENABLE TRIGGER USER`,
		`ANALYZE`,
	} {
		if _, err := pool.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%.40s: %w", stmt, err)
		}
	}
	start = time.Now()
	if err := store.New(st, time.Now).RebuildAnalytics(ctx, Institution); err != nil {
		return err
	}
	logf("postgres: projections rebuilt in %s", time.Since(start).Round(time.Second))
	for _, stmt := range []string{
		`ANALYZE`,
		`CREATE TABLE bench_marker (checks bigint, orders bigint)`,
		fmt.Sprintf(`INSERT INTO bench_marker VALUES (%d, %d)`, size.Checks, size.Orders),
	} {
		if _, err := pool.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%.40s: %w", stmt, err)
		}
	}
	return nil
}

func contentHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// documentSource streams the orders, then every contact version, to COPY.
type documentSource struct {
	size     Size
	received time.Time
	next     int // orders first, then contacts × 2 versions
	row      []any
}

func (s *documentSource) Next() bool {
	for {
		i := s.next
		s.next++
		switch {
		case i < s.size.Orders:
			o := orderAt(s.size, i)
			body := o.json()
			s.row = []any{Institution, "orders", fmt.Sprint(o.id), 1, contentHash(body), string(body), o.created(), s.received}
			return true
		case i < s.size.Orders+2*s.size.Contacts:
			k, v := (i-s.size.Orders)/2, (i-s.size.Orders)%2+1
			number, body, updated, ok := contactAt(s.size, k, v)
			if !ok {
				continue
			}
			s.row = []any{Institution, "contacts", number, v, contentHash(body), string(body), updated, s.received}
			return true
		default:
			return false
		}
	}
}

func (s *documentSource) Values() ([]any, error) { return s.row, nil }
func (s *documentSource) Err() error             { return nil }

// checkSource streams the ticket checks to COPY.
type checkSource struct {
	size     Size
	received time.Time
	next     int
	row      []any
}

func (s *checkSource) Next() bool {
	if s.next >= s.size.Checks {
		return false
	}
	c := checkAt(s.size, s.next)
	s.next++
	body := c.json()
	s.row = []any{Institution, c.id, c.movementID, c.movementID*10 + 1, fmt.Sprintf("%024d", c.movementID), c.at,
		c.flow, c.result, c.reason, contentHash(body), string(body), s.received}
	return true
}

func (s *checkSource) Values() ([]any, error) { return s.row, nil }
func (s *checkSource) Err() error             { return nil }
