package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"time"

	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/store/sqlite"
)

// openSQLite returns a store on the benchmark file of size in dir,
// creating and loading it on first use.
func openSQLite(ctx context.Context, dir string, size Size, logf func(string, ...any)) (*sqlite.Store, error) {
	path := filepath.Join(dir, fmt.Sprintf("bench-c%d-o%d.db", size.Checks, size.Orders))
	st, err := sqlite.Open(ctx, path, time.Now)
	if err != nil {
		return nil, err
	}
	_, read := st.DB()
	var n int
	if read.QueryRowContext(ctx, `SELECT count(*) FROM bench_marker WHERE checks = ? AND orders = ?`, size.Checks, size.Orders).Scan(&n); n == 1 {
		return st, nil
	}
	if err := loadSQLite(ctx, st, size, logf); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// loadSQLite inserts the venue into the raw tables with the analytics
// triggers dropped (SQLite cannot disable them), puts the triggers back as
// the migration made them, then rebuilds the projections once.
func loadSQLite(ctx context.Context, st *sqlite.Store, size Size, logf func(string, ...any)) error {
	write, _ := st.DB()
	triggers, err := dropTriggers(ctx, write)
	if err != nil {
		return err
	}
	received := time.Now().UTC().Format(sqlite.TimeFormat)
	start := time.Now()
	if err := insertDocuments(ctx, write, size, received); err != nil {
		return err
	}
	logf("sqlite: documents inserted in %s", time.Since(start).Round(time.Second))
	start = time.Now()
	if err := insertChecks(ctx, write, size, received); err != nil {
		return err
	}
	logf("sqlite: %d checks inserted in %s", size.Checks, time.Since(start).Round(time.Second))
	stmts := append([]string{
		`INSERT INTO document_heads (institution, stream, external_id, document_id, version, upstream_updated_at)
			SELECT institution, stream, external_id, id, version, upstream_updated_at FROM documents d
			WHERE version = (SELECT max(version) FROM documents m WHERE m.institution = d.institution AND m.stream = d.stream AND m.external_id = d.external_id)`,
	}, triggers...)
	for _, stmt := range stmts {
		if _, err := write.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%.40s: %w", stmt, err)
		}
	}
	start = time.Now()
	if err := store.New(st, time.Now).RebuildAnalytics(ctx, Institution); err != nil {
		return err
	}
	logf("sqlite: projections rebuilt in %s", time.Since(start).Round(time.Second))
	for _, stmt := range []string{
		`ANALYZE`,
		`CREATE TABLE bench_marker (checks INTEGER, orders INTEGER)`,
		fmt.Sprintf(`INSERT INTO bench_marker VALUES (%d, %d)`, size.Checks, size.Orders),
	} {
		if _, err := write.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%.40s: %w", stmt, err)
		}
	}
	return nil
}

// dropTriggers drops the triggers on the raw tables and returns the SQL
// that creates them again.
func dropTriggers(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master
		WHERE type = 'trigger' AND tbl_name IN ('ticket_checks', 'documents', 'document_heads')`)
	if err != nil {
		return nil, err
	}
	var names, creates []string
	for rows.Next() {
		var name, create string
		if err := rows.Scan(&name, &create); err != nil {
			rows.Close()
			return nil, err
		}
		names, creates = append(names, name), append(creates, create)
	}
	rows.Close()
	for _, name := range names {
		if _, err := db.ExecContext(ctx, `DROP TRIGGER `+name); err != nil {
			return nil, err
		}
	}
	return creates, rows.Err()
}

// batchRows is how many rows one load transaction holds.
const batchRows = 100_000

// inBatches runs insert for n rows, committing every batchRows.
func inBatches(ctx context.Context, db *sql.DB, query string, n int, row func(i int) ([]any, bool)) error {
	for lo := 0; lo < n; lo += batchRows {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, query)
		if err != nil {
			tx.Rollback()
			return err
		}
		for i := lo; i < min(lo+batchRows, n); i++ {
			args, ok := row(i)
			if !ok {
				continue
			}
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				tx.Rollback()
				return err
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

func insertDocuments(ctx context.Context, db *sql.DB, size Size, received string) error {
	const q = `INSERT INTO documents (institution, stream, external_id, version, content_hash, body, upstream_updated_at, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	err := inBatches(ctx, db, q, size.Orders, func(i int) ([]any, bool) {
		o := orderAt(size, i)
		body := o.json()
		return []any{Institution, "orders", fmt.Sprint(o.id), 1, contentHash(body), string(body), o.created().Format(sqlite.TimeFormat), received}, true
	})
	if err != nil {
		return err
	}
	return inBatches(ctx, db, q, 2*size.Contacts, func(i int) ([]any, bool) {
		number, body, updated, ok := contactAt(size, i/2, i%2+1)
		if !ok {
			return nil, false
		}
		return []any{Institution, "contacts", number, i%2 + 1, contentHash(body), string(body), updated.Format(sqlite.TimeFormat), received}, true
	})
}

func insertChecks(ctx context.Context, db *sql.DB, size Size, received string) error {
	const q = `INSERT INTO ticket_checks (institution, ticket_check_id, movement_id, ticket_id, barcode, access_time, check_flow, result, failure_reason, content_hash, body, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	return inBatches(ctx, db, q, size.Checks, func(i int) ([]any, bool) {
		c := checkAt(size, i)
		body := c.json()
		return []any{Institution, c.id, c.movementID, c.movementID*10 + 1, fmt.Sprintf("%024d", c.movementID),
			c.at.Format(sqlite.TimeFormat), c.flow, c.result, c.reason, contentHash(body), string(body), received}, true
	})
}
