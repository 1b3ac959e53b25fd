package load

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// Databases makes throwaway databases of one engine and removes them all
// on Close: SQLite files in a temporary directory, or PostgreSQL databases
// created through an administrative URL.
type Databases struct {
	engine string
	dir    string   // sqlite: where the files go
	admin  string   // postgres: a URL allowed to CREATE DATABASE
	made   []string // postgres: database names to drop
}

// NewDatabases prepares throwaway databases of engine ("sqlite" or
// "postgres"). SQLite files go under dir (the system's temporary directory
// when empty); PostgreSQL databases are made on the server of pgURL.
func NewDatabases(engine, pgURL, dir string) (*Databases, error) {
	d := &Databases{engine: engine, admin: pgURL}
	switch engine {
	case "sqlite":
		var err error
		if d.dir, err = os.MkdirTemp(dir, "usher-bench-"); err != nil {
			return nil, err
		}
	case "postgres":
		if pgURL == "" {
			return nil, errors.New("postgres needs a server: set -postgres or TEST_DATABASE_URL")
		}
	default:
		return nil, fmt.Errorf("engine %q: use sqlite or postgres", engine)
	}
	return d, nil
}

// New returns the usher database setting of a new, empty database.
func (d *Databases) New(ctx context.Context) (string, error) {
	name := "usher_bench_" + randomHex()
	if d.engine == "sqlite" {
		return "sqlite:" + filepath.Join(d.dir, name+".db"), nil
	}
	conn, err := pgx.Connect(ctx, d.admin)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", redact(d.admin), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	d.made = append(d.made, name)
	u, err := url.Parse(d.admin)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// Close removes every database New made.
func (d *Databases) Close(ctx context.Context) error {
	if d.engine == "sqlite" {
		return os.RemoveAll(d.dir)
	}
	conn, err := pgx.Connect(ctx, d.admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var errs []error
	for _, name := range d.made {
		_, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		errs = append(errs, err)
	}
	d.made = nil
	return errors.Join(errs...)
}

func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		return u.Redacted()
	}
	return "the database"
}

// sqliteDB and postgresDB are what the engines expose of their
// connections for packages that keep their own tables.
type (
	sqliteDB   interface{ DB() (write, read *sql.DB) }
	postgresDB interface{ Pool() *pgxpool.Pool }
)

// engine returns the driver under st, whose pools the benchmark reads
// directly.
func engine(st usher.Store) any {
	if s, ok := st.(interface{ Driver() driver.Driver }); ok {
		return s.Driver()
	}
	return st
}

// countSQL counts every stored document row: each version of a contact or
// order, and each ticket check.
const countSQL = `SELECT (SELECT count(*) FROM documents) + (SELECT count(*) FROM ticket_checks)`

// CountRows returns how many document rows st holds.
func CountRows(ctx context.Context, st usher.Store) (int64, error) {
	return count(ctx, st, countSQL)
}

// CountProjectedChecks returns the ticket checks the attendance rollup
// counts: once the projector has caught up, every stored check.
func CountProjectedChecks(ctx context.Context, st usher.Store) (int64, error) {
	return count(ctx, st, `SELECT coalesce(sum(checks), 0) FROM attendance_hourly`)
}

// CountChecks returns the stored ticket checks.
func CountChecks(ctx context.Context, st usher.Store) (int64, error) {
	return count(ctx, st, `SELECT count(*) FROM ticket_checks`)
}

func count(ctx context.Context, st usher.Store, query string) (int64, error) {
	var n int64
	switch db := engine(st).(type) {
	case sqliteDB:
		_, read := db.DB()
		return n, read.QueryRowContext(ctx, query).Scan(&n)
	case postgresDB:
		return n, db.Pool().QueryRow(ctx, query).Scan(&n)
	default:
		return 0, fmt.Errorf("count: unknown engine %T", st)
	}
}
