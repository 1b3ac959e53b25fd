package load

import (
	"context"
	"fmt"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store"
)

// preloadChunk is how many payloads Preload writes per transaction: big
// enough to be fast, small enough to keep memory flat.
const preloadChunk = 500

// headsSQL makes the current-version rows of bulk-loaded documents, which
// are all first versions.
const headsSQL = `INSERT INTO document_heads (institution, stream, external_id, document_id, version, upstream_updated_at)
	SELECT institution, stream, external_id, id, version, upstream_updated_at FROM documents`

// Preload fills the empty database at dsn with about docs documents of
// history from g (whole payloads of per documents, in the Mix), for
// Institution, by the bulk path and with their heads: a database with
// history in a fraction of the time ingesting it would take. On
// PostgreSQL it then runs VACUUM ANALYZE, as autovacuum would have by the
// time a venue had that much history.
func Preload(ctx context.Context, dsn string, g *Generator, docs, per int) error {
	st, err := store.Open(ctx, dsn, time.Now)
	if err != nil {
		return err
	}
	defer st.Close()
	for left := docs / per; left > 0; left -= preloadChunk {
		batch, err := Documents(Institution.Code, g.Payloads(min(left, preloadChunk), per))
		if err != nil {
			return err
		}
		if err := bulkInsert(ctx, st, batch, time.Now().UTC()); err != nil {
			return fmt.Errorf("preload: %w", err)
		}
	}
	if err := finishPreload(ctx, st); err != nil {
		return err
	}
	// A bulk load bypasses the analytics queue; the rebuild gives the
	// history its projections, as an operator would after one.
	return st.RebuildAnalytics(ctx, Institution.Code)
}

func finishPreload(ctx context.Context, st usher.Store) error {
	switch db := engine(st).(type) {
	case sqliteDB:
		write, _ := db.DB()
		_, err := write.ExecContext(ctx, headsSQL)
		return err
	case postgresDB:
		if _, err := db.Pool().Exec(ctx, headsSQL); err != nil {
			return err
		}
		_, err := db.Pool().Exec(ctx, "VACUUM ANALYZE")
		return err
	default:
		return fmt.Errorf("preload: unknown engine %T", st)
	}
}
