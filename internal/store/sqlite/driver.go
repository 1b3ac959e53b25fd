package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/usher-hub/usher/internal/store/driver"
)

var _ driver.Driver = (*Store)(nil)

// queryer is what a pool and a transaction share: a verb runs on either.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs the driver's verbs on q: the reader pool outside a
// transaction, the writer's transaction inside InTx.
type conn struct {
	q queryer
}

var _ driver.Executor = conn{}

// InTx runs fn in a write transaction of the group writer: fn commits
// with the writes queued beside it, in a savepoint of its own.
func (s *Store) InTx(ctx context.Context, op string, fn func(context.Context, driver.Executor) error) error {
	return s.inWriteTx(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		return fn(ctx, conn{q: tx})
	})
}

// all runs the query called name and scans every row into a T. The rows
// are read in full before the caller writes, since SQLite's single
// writer connection cannot write while a result set is open.
func all[T any](ctx context.Context, q queryer, name string, scan func(*sql.Rows, *T) error, args ...any) ([]T, error) {
	return allSQL(ctx, q, queries.Get(name), scan, args...)
}

// allSQL is all for a statement built at run time (the document
// browser's indexed listing writes its path into the query).
func allSQL[T any](ctx context.Context, q queryer, query string, scan func(*sql.Rows, *T) error, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var x T
		if err := scan(rows, &x); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// exec runs the statement called name and returns the rows it changed.
func exec(ctx context.Context, q queryer, name string, args ...any) (int64, error) {
	res, err := q.ExecContext(ctx, queries.Get(name), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// textTime scans a time stored as text (TimeFormat), so a verb scans
// straight into a time.Time: r.Scan((*textTime)(&x.At)).
type textTime time.Time

// Scan implements sql.Scanner.
func (t *textTime) Scan(v any) error {
	switch v := v.(type) {
	case string:
		*t = textTime(parseTime(v))
	case []byte:
		*t = textTime(parseTime(string(v)))
	case time.Time:
		*t = textTime(v.UTC())
	case nil:
		*t = textTime{}
	default:
		return fmt.Errorf("sqlite: cannot scan %T into a time", v)
	}
	return nil
}

// textTimePtr scans a nullable time stored as text into a *time.Time:
// r.Scan(textTimePtr{&x.At}).
type textTimePtr struct{ p **time.Time }

// Scan implements sql.Scanner.
func (t textTimePtr) Scan(v any) error {
	if v == nil {
		*t.p = nil
		return nil
	}
	var x textTime
	if err := x.Scan(v); err != nil {
		return err
	}
	at := time.Time(x)
	*t.p = &at
	return nil
}
