// Package sqlite is usher's embedded storage engine: modernc.org/sqlite
// (no cgo) in WAL mode, one writer connection and a pool of readers, with
// embedded goose migrations.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

//go:embed migrations/*.sql
var migrations embed.FS

// TimeFormat is how times are stored: fixed width, so text order is time order.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// Store is the SQLite implementation of usher's storage interfaces.
type Store struct {
	// conn runs verbs on the reader pool, outside any transaction.
	conn
	// write has one connection: SQLite allows one writer at a time, and a
	// single connection turns lock contention into an orderly queue
	// instead of SQLITE_BUSY errors.
	write *sql.DB
	// writer runs write transactions on write, committing those that queue
	// up together.
	writer *groupWriter
	// read serves queries concurrently with the writer, which WAL allows.
	read *sql.DB
	// checkpoints copies the WAL into the database file off the writer.
	checkpoints *checkpointer
	now         func() time.Time
	// saturatedAfter is how long writes may wait for the writer without
	// any committing before Ping reports the store unready.
	saturatedAfter atomic.Int64
}

// busyTimeout is how long a connection waits for a lock before failing.
const busyTimeout = 10 * time.Second

// DefaultSaturatedAfter is how long writes may wait with none committing
// before the store reports itself unready: longer than busy_timeout, so a
// store is unready only when pushes already fail.
const DefaultSaturatedAfter = 15 * time.Second

// SetWriterSaturatedAfter sets how long writes may wait for the writer
// with none committing before Ping (and so /readyz) fails; d <= 0 keeps
// DefaultSaturatedAfter.
func (s *Store) SetWriterSaturatedAfter(d time.Duration) {
	if d <= 0 {
		d = DefaultSaturatedAfter
	}
	s.saturatedAfter.Store(int64(d))
}

// Open opens (creating if needed) the database file at path and applies
// pending migrations. now is the clock used for received times.
func Open(ctx context.Context, path string, now func() time.Time) (*Store, error) {
	return open(ctx, path, now, checkpointer{})
}

// open is Open with the checkpointer's every and maxWAL (tests set them
// smaller; zero is the default).
func open(ctx context.Context, path string, now func() time.Time, ck checkpointer) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("sqlite: empty path")
	}
	write, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(4)
	checkpoints, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	checkpoints.SetMaxOpenConns(1)
	wal := path + "-wal"
	s := &Store{conn: conn{q: read}, write: write, read: read, writer: newGroupWriter(write, syncFile(wal)), now: now}
	s.saturatedAfter.Store(int64(DefaultSaturatedAfter))
	if err := s.Migrate(ctx); err != nil {
		checkpoints.Close()
		s.Close()
		return nil, err
	}
	// From here the writer's syncer makes commits durable (pipelined
	// sync, groupcommit.go). A connection the pool opens again comes back
	// with the dsn's synchronous=FULL: slower, never less durable.
	if _, err := write.ExecContext(ctx, `PRAGMA synchronous=NORMAL`); err != nil {
		checkpoints.Close()
		s.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	s.checkpoints = startCheckpointer(&checkpointer{db: checkpoints, walPath: wal, crowded: s.writer.crowdedSince, between: s.writer.between,
		every: ck.every, maxWAL: ck.maxWAL, resetWAL: ck.resetWAL})
	return s, nil
}

// dsn sets the pragmas on every connection the pool opens:
//   - WAL lets readers proceed while the writer commits;
//   - synchronous=FULL makes a commit survive power loss, not only a crash,
//     because usher answers 200 only after a durable commit; the writer
//     then commits with NORMAL and fsyncs the WAL itself (groupcommit.go);
//   - busy_timeout waits for the lock instead of failing at once;
//   - foreign_keys is off by default in SQLite;
//   - temp_store=MEMORY keeps the statement journal of group commit's
//     savepoints in memory instead of a temporary file written and
//     closed at every commit;
//   - _txlock=immediate takes the write lock at BEGIN, so a transaction
//     never fails half-way trying to upgrade a read lock;
//   - wal_autocheckpoint(0) leaves checkpoints to the checkpointer, off
//     the writer's commits (checkpoint.go);
//   - journal_size_limit cuts the WAL file down when SQLite restarts the
//     WAL (checkpoint.go, walSizeLimit).
func dsn(path string, readOnly bool) string {
	v := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()), "foreign_keys(1)",
		"temp_store(MEMORY)", "wal_autocheckpoint(0)", fmt.Sprintf("journal_size_limit(%d)", walSizeLimit)} {
		v.Add("_pragma", p)
	}
	if readOnly {
		v.Add("_pragma", "query_only(1)")
	} else {
		v.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + v.Encode()
}

// Migrate applies every pending migration.
func (s *Store) Migrate(ctx context.Context) error {
	return driver.Migrate(ctx, "sqlite", goose.DialectSQLite3, s.write, migrations)
}

// Close finishes the write in progress, checkpoints the WAL and closes
// the pools.
func (s *Store) Close() error {
	s.writer.stop()
	var errs []error
	if s.checkpoints != nil {
		errs = append(errs, s.checkpoints.close(), s.checkpoints.db.Close())
	}
	return errors.Join(append(errs, s.read.Close(), s.write.Close())...)
}

// Ping reports whether the database file answers a query, and whether
// writes get through: when writes have waited for the writer longer than
// the saturation limit with none committing (another process holding the
// lock, such as a long job), the store is unavailable even though it
// still answers reads, so a load balancer or an operator sees it.
func (s *Store) Ping(ctx context.Context) error {
	if d := s.writer.saturatedFor(time.Now()); d > time.Duration(s.saturatedAfter.Load()) {
		return usher.Errorf(usher.EUNAVAILABLE, "database writer saturated: writes have waited %s with none committed (limit %s, ingest.writer_saturated_after)",
			d.Round(time.Millisecond), time.Duration(s.saturatedAfter.Load()))
	}
	var one int
	if err := s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// DB returns the writer and reader pools for packages that keep their own
// tables in this database (reports, outbox).
func (s *Store) DB() (write, read *sql.DB) { return s.write, s.read }

// unavailable wraps a database failure as an EUNAVAILABLE error: the
// caller answers 503 and the upstream retries.
func unavailable(op string, err error) error {
	return &usher.Error{Code: usher.EUNAVAILABLE, Message: "database unavailable", Err: fmt.Errorf("sqlite: %s: %w", op, err)}
}

func formatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

func formatTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(TimeFormat, s)
	return t
}
