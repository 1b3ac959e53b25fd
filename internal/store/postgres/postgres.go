// Package postgres is usher's PostgreSQL storage engine: pgx/v5, JSONB
// documents and embedded goose migrations, safe for several usher
// replicas sharing one database.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the PostgreSQL implementation of usher's storage interfaces.
type Store struct {
	// conn runs verbs on the pool, outside any transaction.
	conn
	pool *pgxpool.Pool
	now  func() time.Time
	// saves stores the payloads without CRM routes, in groups.
	saves *groupSaver
}

// Open connects to the database at dsn (a postgres:// URL) and applies
// pending migrations. now is the clock used for received times.
func Open(ctx context.Context, dsn string, now func() time.Time) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse dsn: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s := &Store{conn: conn{q: pool}, pool: pool, now: now}
	if err := s.Migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	s.saves = newGroupSaver(pool, int(cfg.MaxConns))
	return s, nil
}

// Migrate applies every pending migration. A session advisory lock keeps
// replicas that start together from migrating at once.
func (s *Store) Migrate(ctx context.Context) error {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	return driver.Migrate(ctx, "postgres", goose.DialectPostgres, db, migrations, goose.WithSessionLocker(locker))
}

// Close closes the pool.
func (s *Store) Close() error {
	s.saves.close()
	s.pool.Close()
	return nil
}

// Pool returns the connection pool for packages that keep their own tables
// in this database (reports, outbox).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping reports whether the server answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// inTx runs fn in a transaction and commits it, retrying a few times when
// two transactions raced for the same new version number: the retry then
// sees the other's commit, so the outcome is the same as a serial run.
func (s *Store) inTx(ctx context.Context, op string, fn func(pgx.Tx) error) error {
	return withRetries(op, func() error { return pgx.BeginFunc(ctx, s.pool, fn) })
}

// withRetries runs a transaction, whole, up to five times while it fails
// in a way a retry can fix (retryable), and reports a failure of the
// database as EUNAVAILABLE.
func withRetries(op string, transaction func() error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = transaction()
		if err == nil || !retryable(err) {
			break
		}
	}
	if err == nil || usher.ErrorCode(err) != usher.EINTERNAL {
		return err
	}
	return unavailable(op, err)
}

func retryable(err error) bool {
	switch sqlState(err) {
	case uniqueViolationCode, "40001", "40P01": // unique violation, serialization failure, deadlock
		return true
	}
	return false
}

// uniqueViolationCode is the SQLSTATE of a row a unique index holds already.
const uniqueViolationCode = "23505"

// sqlState is the SQLSTATE of the PostgreSQL error in err, "" if none.
func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// unavailable wraps a database failure as EUNAVAILABLE: the caller answers
// 503 and the upstream retries.
func unavailable(op string, err error) error {
	return &usher.Error{Code: usher.EUNAVAILABLE, Message: "database unavailable", Err: fmt.Errorf("postgres: %s: %w", op, err)}
}
