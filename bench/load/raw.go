package load

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/ingest"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/store/sqlite"
)

// Documents turns payloads into the documents usher stores for them,
// through the same ingest.SplitPayload and ingest.Describe the server
// runs, so the raw limit writes exactly the rows usher writes.
func Documents(institution string, payloads []Payload) ([]usher.Document, error) {
	var docs []usher.Document
	for _, p := range payloads {
		items, err := ingest.SplitPayload(p.Body)
		if err != nil {
			return nil, err
		}
		for _, raw := range items {
			d, err := ingest.Describe(institution, p.Stream, raw)
			if err != nil {
				return nil, err
			}
			d.Version = 1
			docs = append(docs, d)
		}
	}
	return docs, nil
}

// Cost is what one measured operation took: wall time, and CPU time in
// this process and in the PostgreSQL backends serving it.
type Cost struct {
	Wall, Process, Backend time.Duration
}

// RawLimit is the physical limit of the engine at dsn: it opens and
// migrates the database, then writes docs in one transaction by the
// engine's fastest path (pgx CopyFrom on PostgreSQL, one prepared INSERT
// per table on SQLite) into the very tables usher writes, with their
// indexes and constraints. It returns the cost from BEGIN to COMMIT.
//
// It writes what a bulk loader would: one row per document in documents
// or ticket_checks. It does not maintain document_heads, look for
// duplicates or number versions; that is the work usher adds.
func RawLimit(ctx context.Context, dsn string, docs []usher.Document) (Cost, error) {
	st, err := store.Open(ctx, dsn, time.Now)
	if err != nil {
		return Cost{}, err
	}
	defer st.Close()
	cpu := CPUUsed(ctx, st)
	start := time.Now()
	if err := bulkInsert(ctx, st, docs, start.UTC()); err != nil {
		return Cost{}, fmt.Errorf("raw limit: %w", err)
	}
	cost := CPUSince(ctx, st, cpu)
	cost.Wall = time.Since(start)
	return cost, nil
}

func bulkInsert(ctx context.Context, st usher.Store, docs []usher.Document, received time.Time) error {
	switch db := engine(st).(type) {
	case sqliteDB:
		write, _ := db.DB()
		return insertSQLite(ctx, write, docs, received)
	case postgresDB:
		tx, err := db.Pool().Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		if err := copyPostgres(ctx, tx, docs, received); err != nil {
			return err
		}
		return tx.Commit(ctx)
	default:
		return fmt.Errorf("unknown engine %T", st)
	}
}

var (
	checkColumns = []string{"institution", "ticket_check_id", "movement_id", "ticket_id", "barcode", "access_time",
		"check_flow", "result", "failure_reason", "content_hash", "body", "received_at"}
	documentColumns = []string{"institution", "stream", "external_id", "version", "content_hash", "body",
		"upstream_updated_at", "received_at"}
)

func copyPostgres(ctx context.Context, tx pgx.Tx, docs []usher.Document, received time.Time) error {
	var checks, others [][]any
	for _, d := range docs {
		if c := d.Check; c != nil {
			checks = append(checks, []any{d.Institution, c.TicketCheckID, c.MovementID, c.TicketID, c.Barcode,
				c.AccessTime, c.CheckFlow, c.Result, c.FailureReason, d.Hash, string(d.Raw), received})
			continue
		}
		others = append(others, []any{d.Institution, string(d.Stream), d.ExternalID, d.Version, d.Hash,
			string(d.Raw), d.UpstreamUpdatedAt, received})
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ticket_checks"}, checkColumns, pgx.CopyFromRows(checks)); err != nil {
		return fmt.Errorf("copy ticket_checks: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"documents"}, documentColumns, pgx.CopyFromRows(others)); err != nil {
		return fmt.Errorf("copy documents: %w", err)
	}
	return nil
}

func insertSQLite(ctx context.Context, db *sql.DB, docs []usher.Document, received time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	checks, err := tx.PrepareContext(ctx, `INSERT INTO ticket_checks (institution, ticket_check_id, movement_id,
		ticket_id, barcode, access_time, check_flow, result, failure_reason, content_hash, body, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	others, err := tx.PrepareContext(ctx, `INSERT INTO documents (institution, stream, external_id, version,
		content_hash, body, upstream_updated_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	at := received.Format(sqlite.TimeFormat)
	for _, d := range docs {
		if c := d.Check; c != nil {
			_, err = checks.ExecContext(ctx, d.Institution, c.TicketCheckID, c.MovementID, c.TicketID, c.Barcode,
				c.AccessTime.UTC().Format(sqlite.TimeFormat), c.CheckFlow, c.Result, c.FailureReason, d.Hash, string(d.Raw), at)
		} else {
			_, err = others.ExecContext(ctx, d.Institution, string(d.Stream), d.ExternalID, d.Version, d.Hash,
				string(d.Raw), sqliteTime(d.UpstreamUpdatedAt), at)
		}
		if err != nil {
			return err
		}
	}
	return tx.Commit()
}

func sqliteTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Format(sqlite.TimeFormat)
}
