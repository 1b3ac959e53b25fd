package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/usher-hub/usher/internal/store/driver"
)

// PathIndexes lists usher's indexes on document paths; SQLite builds an
// index in one transaction, so every index it holds is valid.
func (s *Store) PathIndexes(ctx context.Context) ([]driver.PathIndexState, error) {
	return all(ctx, s.q, "PathIndexes", func(r *sql.Rows, x *driver.PathIndexState) error {
		x.Valid = true
		return r.Scan(&x.Name)
	}, driver.PathIndexPrefix)
}

// EnsurePathIndex builds ix on the writer, if it is not there: pushes
// wait for the build (SQLite has one writer), seconds per million
// versions of the stream.
func (s *Store) EnsurePathIndex(ctx context.Context, ix driver.PathIndex) error {
	return s.inWriteTx(ctx, "create path index", func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, fmt.Sprintf(
			"CREATE INDEX IF NOT EXISTS %s ON documents (institution, %s, received_at) WHERE stream = %s",
			quoteName(ix.Name), pathValue("body", ix.JSONPath), quote(ix.Stream)))
		return err
	})
}

// DropPathIndex drops the index called name, if it exists.
func (s *Store) DropPathIndex(ctx context.Context, name string) error {
	return s.inWriteTx(ctx, "drop path index", func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DROP INDEX IF EXISTS "+quoteName(name))
		return err
	})
}

// pathValue is the indexed expression: the value at path in the body
// column called body, with the path a literal. The listing writes the
// same expression, for the planner to match it with the index.
func pathValue(body, path string) string {
	return fmt.Sprintf("json_extract(%s, %s)", body, quote(path))
}

// quote writes s as an SQL string literal, quoteName as an identifier.
// The store passes only checked names here (streams, paths of names and
// indices, its own index names); quoting is the second guard.
func quote(s string) string     { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
func quoteName(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
