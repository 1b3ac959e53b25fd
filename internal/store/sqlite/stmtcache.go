package sqlite

import (
	"context"
	"database/sql"
)

// stmtTx is a write transaction that prepares each distinct statement once
// and reuses it for every later document of the payload. Without it the
// driver parses the same SQL again for each document, which cost about a
// third of the writer's time on a 50-document payload (docs/performance.md).
// Statements prepared in a transaction close when it ends.
type stmtTx struct {
	tx    preparer
	stmts map[string]*sql.Stmt
}

// preparer is a queryer that prepares statements: the writer's
// transaction (or a pool).
type preparer interface {
	queryer
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

func newStmtTx(tx preparer) *stmtTx {
	return &stmtTx{tx: tx, stmts: make(map[string]*sql.Stmt)}
}

func (t *stmtTx) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := t.stmts[query]; ok {
		return st, nil
	}
	st, err := t.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	t.stmts[query] = st
	return st, nil
}

// ExecContext runs query through its prepared statement.
func (t *stmtTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext runs query through its prepared statement.
func (t *stmtTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs query through its prepared statement. A failed
// preparation surfaces from Scan, as with *sql.Tx.
func (t *stmtTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := t.prepare(ctx, query)
	if err != nil {
		// *sql.Row has no public constructor for an error; running the
		// unprepared query reports the same error from Scan.
		return t.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
