package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// Retention's verbs (driver.RetentionVerbs); SQL in queries/retention.sql.

func scanPrunableVersion(r pgx.Row, x *driver.PrunableRow) error {
	return r.Scan(&x.ID, &x.At, &x.NextAt, &x.Head, &x.Pending, &x.Applied)
}

func (c conn) PrunableVersions(ctx context.Context, institution string, stream usher.Stream, before time.Time, after usher.PruneCursor, limit int) ([]driver.PrunableRow, error) {
	return all(ctx, c.q, "PrunableVersions", scanPrunableVersion, institution, string(stream), before, after.At, after.ID, limit)
}

func (c conn) PrunableChecks(ctx context.Context, institution string, before time.Time, after usher.PruneCursor, limit int) ([]driver.PrunableRow, error) {
	return all(ctx, c.q, "PrunableChecks", func(r pgx.Row, x *driver.PrunableRow) error {
		return r.Scan(&x.ID, &x.At, &x.Pending, &x.Unmatched)
	}, institution, before, after.At, after.ID, limit)
}

func (c conn) PrunableQuarantined(ctx context.Context, institution string, stream usher.Stream, before time.Time, after usher.PruneCursor, limit int) ([]driver.PrunableRow, error) {
	return all(ctx, c.q, "PrunableQuarantined", func(r pgx.Row, x *driver.PrunableRow) error { return r.Scan(&x.ID, &x.At) },
		institution, string(stream), before, after.At, after.ID, limit)
}

func (c conn) DeleteVersions(ctx context.Context, ids []int64) (int64, error) {
	return exec(ctx, c.q, "DeleteVersions", ids)
}

func (c conn) DeleteChecks(ctx context.Context, institution string, ids []int64) (int64, error) {
	return exec(ctx, c.q, "DeleteChecks", institution, ids)
}

func (c conn) DeleteQuarantined(ctx context.Context, ids []int64) (int64, error) {
	return exec(ctx, c.q, "DeleteQuarantined", ids)
}

func (c conn) InsertPruneRun(ctx context.Context, institution, actor string, at time.Time, reason string, record []byte) error {
	_, err := exec(ctx, c.q, "InsertPruneRun", institution, actor, reason, at, string(record))
	return err
}

func (c conn) ListPruneRuns(ctx context.Context, institution string) ([][]byte, error) {
	return all(ctx, c.q, "ListPruneRuns", func(r pgx.Row, x *[]byte) error { return r.Scan(x) }, institution)
}
