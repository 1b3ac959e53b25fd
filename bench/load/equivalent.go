package load

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/usher-hub/usher"
)

// The equivalent tables: what someone loading the same documents without
// usher would create, a table for the ticket checks and one for the other
// documents with usher's columns, keys and indexes (the content hash and
// its unique index included), and nothing else — no heads, no analytics
// queue, no usher migrations, the engine's default storage settings. The
// definitions follow migrations 001 and 003 of each engine; keep them in
// step when those tables change.
const (
	equivalentPostgresDDL = `
CREATE TABLE documents (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    institution         text        NOT NULL,
    stream              text        NOT NULL,
    external_id         text        NOT NULL,
    version             integer     NOT NULL,
    content_hash        text        NOT NULL,
    body                jsonb       NOT NULL,
    upstream_updated_at timestamptz,
    received_at         timestamptz NOT NULL,
    UNIQUE (institution, stream, external_id, content_hash),
    UNIQUE (institution, stream, external_id, version)
);
CREATE INDEX documents_received ON documents (institution, stream, received_at);
CREATE TABLE ticket_checks (
    institution     text        NOT NULL,
    ticket_check_id bigint      NOT NULL,
    movement_id     bigint      NOT NULL,
    ticket_id       bigint      NOT NULL,
    barcode         text        NOT NULL,
    access_time     timestamp   NOT NULL,
    check_flow      text        NOT NULL,
    result          text        NOT NULL,
    failure_reason  text        NOT NULL,
    content_hash    text        NOT NULL,
    body            jsonb       NOT NULL,
    received_at     timestamptz NOT NULL,
    PRIMARY KEY (institution, ticket_check_id)
);
CREATE INDEX ticket_checks_access ON ticket_checks (institution, access_time);
CREATE INDEX ticket_checks_movement ON ticket_checks (institution, movement_id);
CREATE INDEX ticket_checks_received ON ticket_checks (institution, received_at);`

	equivalentSQLiteDDL = `
CREATE TABLE documents (
    id                  INTEGER PRIMARY KEY,
    institution         TEXT    NOT NULL,
    stream              TEXT    NOT NULL,
    external_id         TEXT    NOT NULL,
    version             INTEGER NOT NULL,
    content_hash        TEXT    NOT NULL,
    body                TEXT    NOT NULL CHECK (json_valid(body)),
    upstream_updated_at TEXT,
    received_at         TEXT    NOT NULL,
    UNIQUE (institution, stream, external_id, content_hash),
    UNIQUE (institution, stream, external_id, version)
);
CREATE INDEX documents_received ON documents (institution, stream, received_at);
CREATE TABLE ticket_checks (
    institution     TEXT    NOT NULL,
    ticket_check_id INTEGER NOT NULL,
    movement_id     INTEGER NOT NULL,
    ticket_id       INTEGER NOT NULL,
    barcode         TEXT    NOT NULL,
    access_time     TEXT    NOT NULL,
    check_flow      TEXT    NOT NULL,
    result          TEXT    NOT NULL,
    failure_reason  TEXT    NOT NULL,
    content_hash    TEXT    NOT NULL,
    body            TEXT    NOT NULL CHECK (json_valid(body)),
    received_at     TEXT    NOT NULL,
    PRIMARY KEY (institution, ticket_check_id)
) WITHOUT ROWID;
CREATE INDEX ticket_checks_access ON ticket_checks (institution, access_time);
CREATE INDEX ticket_checks_movement ON ticket_checks (institution, movement_id);
CREATE INDEX ticket_checks_received ON ticket_checks (institution, received_at);`
)

// EquivalentLimit is the baseline a venue without usher would compare
// with: docs written in one transaction into the equivalent tables of a
// new, empty database at dsn (not migrated by usher) — PostgreSQL COPY
// (pgx CopyFrom), or one prepared INSERT per table in one SQLite
// transaction with usher's durability (WAL, synchronous=FULL). It returns
// the cost from BEGIN to COMMIT, the PostgreSQL backends' CPU included.
func EquivalentLimit(ctx context.Context, dsn string, docs []usher.Document) (Cost, error) {
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		return equivalentSQLite(ctx, path, docs)
	}
	return equivalentPostgres(ctx, dsn, docs)
}

func equivalentPostgres(ctx context.Context, dsn string, docs []usher.Document) (Cost, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return Cost{}, err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, equivalentPostgresDDL); err != nil {
		return Cost{}, fmt.Errorf("equivalent tables: %w", err)
	}
	cpu := Cost{Process: ProcessCPU(), Backend: poolBackendCPU(ctx, pool)}
	start := time.Now()
	tx, err := pool.Begin(ctx)
	if err != nil {
		return Cost{}, err
	}
	defer tx.Rollback(ctx)
	if err := copyPostgres(ctx, tx, docs, start.UTC()); err != nil {
		return Cost{}, fmt.Errorf("equivalent limit: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return Cost{}, err
	}
	return Cost{Wall: time.Since(start), Process: ProcessCPU() - cpu.Process, Backend: poolBackendCPU(ctx, pool) - cpu.Backend}, nil
}

func equivalentSQLite(ctx context.Context, path string, docs []usher.Document) (Cost, error) {
	v := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)"} {
		v.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+v.Encode())
	if err != nil {
		return Cost{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, equivalentSQLiteDDL); err != nil {
		return Cost{}, fmt.Errorf("equivalent tables: %w", err)
	}
	cpu := ProcessCPU()
	start := time.Now()
	if err := insertSQLite(ctx, db, docs, start.UTC()); err != nil {
		return Cost{}, fmt.Errorf("equivalent limit: %w", err)
	}
	return Cost{Wall: time.Since(start), Process: ProcessCPU() - cpu}, nil
}
