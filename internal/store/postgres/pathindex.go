package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/usher-hub/usher/internal/store/driver"
)

// pathIndexLock is the session advisory lock replicas take turns on to
// build or drop an index on a document path: one never sees another's
// build under way (invalid until it ends) and drops it as a leftover.
const pathIndexLock = 0x7573686572_7069 // "usherpi"

// PathIndexes lists usher's indexes on document paths and whether each is
// valid: a CREATE INDEX CONCURRENTLY that was interrupted (or is under
// way) leaves one that the planner does not use.
func (s *Store) PathIndexes(ctx context.Context) ([]driver.PathIndexState, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		WHERE i.indrelid = 'documents'::regclass AND starts_with(c.relname, $1)
		ORDER BY c.relname`, driver.PathIndexPrefix)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (x driver.PathIndexState, err error) {
		return x, r.Scan(&x.Name, &x.Valid)
	})
}

// EnsurePathIndex builds ix concurrently, pushes going on meanwhile, in
// its turn: a valid index of the name is left alone, an invalid one is
// dropped first.
func (s *Store) EnsurePathIndex(ctx context.Context, ix driver.PathIndex) error {
	return s.pathIndexTurn(ctx, func(c *pgxpool.Conn) error {
		var valid bool
		err := c.QueryRow(ctx, `SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)`, ix.Name).Scan(&valid)
		switch {
		case err == nil && valid:
			return nil
		case err == nil:
			if _, err := c.Exec(ctx, dropIndex(ix.Name)); err != nil {
				return fmt.Errorf("drop invalid index %s: %w", ix.Name, err)
			}
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		_, err = c.Exec(ctx, createPathIndex(ix))
		return err
	})
}

// DropPathIndex drops the index called name concurrently, in its turn.
func (s *Store) DropPathIndex(ctx context.Context, name string) error {
	return s.pathIndexTurn(ctx, func(c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, dropIndex(name))
		return err
	})
}

// dropIndex is the statement dropping the index called name, if it
// exists, without blocking pushes.
func dropIndex(name string) string {
	return "DROP INDEX CONCURRENTLY IF EXISTS " + pgx.Identifier{name}.Sanitize()
}

// pathIndexTurn runs fn on one connection holding pathIndexLock, waiting
// for a replica that holds it. A connection whose unlock fails is closed,
// which ends the session and so its lock.
func (s *Store) pathIndexTurn(ctx context.Context, fn func(*pgxpool.Conn) error) error {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	if _, err := c.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(pathIndexLock)); err != nil {
		return fmt.Errorf("path index lock: %w", err)
	}
	err = fn(c)
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, uerr := c.Exec(uctx, `SELECT pg_advisory_unlock($1)`, int64(pathIndexLock)); uerr != nil {
		_ = c.Conn().Close(uctx)
	}
	return err
}

// createPathIndex is ix's statement. The index holds a 64-bit hash of the
// value, not the value: a B-tree entry cannot exceed about 2.7 kB, and a
// long string at an indexed path must not fail the push that stores it.
// Equal jsonb values hash alike (numbers by value: 100 and 1e2), so the
// listing finds them by hash and compares the values themselves after.
// received_at and id follow, newest first, so that the listing reads one
// value's versions in its order and stops at its limit.
func createPathIndex(ix driver.PathIndex) string {
	return fmt.Sprintf("CREATE INDEX CONCURRENTLY IF NOT EXISTS %s ON documents (institution, %s, received_at DESC, id DESC) WHERE stream = %s",
		pgx.Identifier{ix.Name}.Sanitize(), pathHash("body", ix), quote(ix.Stream))
}

// pathHash is the indexed expression over the body column called body.
func pathHash(body string, ix driver.PathIndex) string {
	return fmt.Sprintf("jsonb_hash_extended(%s #> %s, 0)", body, pathKeys(ix))
}

// pathKeys is ix's path as the text[] literal #> takes: '{a,b,0}'::text[].
func pathKeys(ix driver.PathIndex) string {
	return quote("{"+strings.Join(ix.Keys, ",")+"}") + "::text[]"
}

// quote writes s as an SQL string literal. The store passes only checked
// names here (streams, paths of names and indices); quoting is the
// second guard.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
