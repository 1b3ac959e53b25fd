package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// Retention's verbs (driver.RetentionVerbs); SQL in queries/retention.sql.

func scanPrunableVersion(r *sql.Rows, x *driver.PrunableRow) error {
	return r.Scan(&x.ID, (*textTime)(&x.At), textTimePtr{&x.NextAt}, &x.Head, &x.Pending, &x.Applied)
}

func (c conn) PrunableVersions(ctx context.Context, institution string, stream usher.Stream, before time.Time, after usher.PruneCursor, limit int) ([]driver.PrunableRow, error) {
	return all(ctx, c.q, "PrunableVersions", scanPrunableVersion, institution, stream, formatTime(before), formatTime(after.At), after.ID, limit)
}

func (c conn) PrunableChecks(ctx context.Context, institution string, before time.Time, after usher.PruneCursor, limit int) ([]driver.PrunableRow, error) {
	return all(ctx, c.q, "PrunableChecks", func(r *sql.Rows, x *driver.PrunableRow) error {
		return r.Scan(&x.ID, (*textTime)(&x.At), &x.Pending, &x.Unmatched)
	}, institution, formatTime(before), formatTime(after.At), after.ID, limit)
}

func (c conn) PrunableQuarantined(ctx context.Context, institution string, stream usher.Stream, before time.Time, after usher.PruneCursor, limit int) ([]driver.PrunableRow, error) {
	return all(ctx, c.q, "PrunableQuarantined", func(r *sql.Rows, x *driver.PrunableRow) error { return r.Scan(&x.ID, (*textTime)(&x.At)) },
		institution, stream, formatTime(before), formatTime(after.At), after.ID, limit)
}

// idList passes ids as a JSON array, which the statements read with
// json_each: one parameter whatever the batch size.
func idList(ids []int64) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

func (c conn) DeleteVersions(ctx context.Context, ids []int64) (int64, error) {
	return exec(ctx, c.q, "DeleteVersions", idList(ids))
}

func (c conn) DeleteChecks(ctx context.Context, institution string, ids []int64) (int64, error) {
	return exec(ctx, c.q, "DeleteChecks", institution, idList(ids))
}

func (c conn) DeleteQuarantined(ctx context.Context, ids []int64) (int64, error) {
	return exec(ctx, c.q, "DeleteQuarantined", idList(ids))
}

func (c conn) InsertPruneRun(ctx context.Context, institution, actor string, at time.Time, reason string, record []byte) error {
	_, err := exec(ctx, c.q, "InsertPruneRun", institution, actor, reason, formatTime(at), record)
	return err
}

func (c conn) ListPruneRuns(ctx context.Context, institution string) ([][]byte, error) {
	return all(ctx, c.q, "ListPruneRuns", func(r *sql.Rows, x *[]byte) error { return r.Scan(x) }, institution)
}
