package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/usher-hub/usher/internal/store/driver"
)

var _ driver.Driver = (*Store)(nil)

// querier is what the pool and a transaction share: a verb runs on either.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// conn runs the driver's verbs on q: the pool outside a transaction, the
// transaction inside InTx.
type conn struct {
	q querier
}

var _ driver.Executor = conn{}

// InTx runs fn in a transaction, whole again after a serialization
// failure or deadlock (withRetries).
func (s *Store) InTx(ctx context.Context, op string, fn func(context.Context, driver.Executor) error) error {
	return s.inTx(ctx, op, func(tx pgx.Tx) error { return fn(ctx, conn{q: tx}) })
}

// all runs the query called name and scans every row into a T.
func all[T any](ctx context.Context, q querier, name string, scan func(pgx.Row, *T) error, args ...any) ([]T, error) {
	return allSQL(ctx, q, queries.Get(name), scan, args...)
}

// allSQL is all for a statement built at run time (the document
// browser's indexed listing writes its path into the query).
func allSQL[T any](ctx context.Context, q querier, query string, scan func(pgx.Row, *T) error, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) {
		var x T
		err := scan(r, &x)
		return x, err
	})
}

// exec runs the statement called name and returns the rows it changed.
func exec(ctx context.Context, q querier, name string, args ...any) (int64, error) {
	tag, err := q.Exec(ctx, queries.Get(name), args...)
	return tag.RowsAffected(), err
}
