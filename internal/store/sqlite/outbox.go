package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// The outbox's verbs (driver.OutboxVerbs), SQL in queries/outbox.sql.
// Claims need no row locks here: every write goes through the one writer
// connection, and _txlock=immediate takes the database's write lock at
// BEGIN, so claims by several goroutines or processes are serialised.

// LockJobOrderKey does nothing: the single writer commits jobs in the
// order of their ids already.
func (c conn) LockJobOrderKey(context.Context, string) error { return nil }

// InsertJob implements driver.OutboxVerbs.
func (c conn) InsertJob(ctx context.Context, j driver.JobInsert) ([]usher.Job, error) {
	return all(ctx, c.q, "InsertJob", scanJob, j.TrackingID, j.Institution, j.Kind, j.OrderKey, j.IdempotencyKey,
		string(j.Payload), j.MaxAttempts, formatTime(j.RunAt), formatTime(j.Now), formatTime(j.Now))
}

// JobsByIdempotencyKey implements driver.OutboxVerbs.
func (c conn) JobsByIdempotencyKey(ctx context.Context, institution, kind, key string) ([]usher.Job, error) {
	return all(ctx, c.q, "JobsByIdempotencyKey", scanJob, institution, kind, key)
}

// JobsWithLeaseExpired implements driver.OutboxVerbs.
func (c conn) JobsWithLeaseExpired(ctx context.Context, now time.Time) ([]usher.Job, error) {
	return all(ctx, c.q, "JobsWithLeaseExpired", scanJob, formatTime(now))
}

// ClaimJobs implements driver.OutboxVerbs; the kinds go as a JSON array.
func (c conn) ClaimJobs(ctx context.Context, cl driver.JobClaim) ([]usher.Job, error) {
	kinds, _ := json.Marshal(cl.Kinds)
	return all(ctx, c.q, "ClaimJobs", scanJob, cl.Owner, cl.Token, formatTime(cl.LeaseUntil), formatTime(cl.Now),
		len(cl.Kinds), string(kinds), cl.Limit)
}

// UpdateLeasedJob implements driver.OutboxVerbs.
func (c conn) UpdateLeasedJob(ctx context.Context, u driver.JobUpdate) (int64, error) {
	return exec(ctx, c.q, "UpdateLeasedJob", string(u.State), formatTime(u.RunAt), u.Error, nullJSON(u.Result),
		u.GiveBack, formatTime(u.Now), formatTimePtr(u.FinishedAt), u.ID, u.LeaseToken)
}

// FindJobs implements driver.OutboxVerbs.
func (c conn) FindJobs(ctx context.Context, f usher.JobFilter, limit int) ([]usher.Job, error) {
	q, args := filtered(c.q, f)
	return all(ctx, q, "FindJobs", scanJob, append(args, limit)...)
}

// JobsByTrackingID implements driver.OutboxVerbs.
func (c conn) JobsByTrackingID(ctx context.Context, institution, trackingID string) ([]usher.Job, error) {
	return all(ctx, c.q, "JobsByTrackingID", scanJob, institution, trackingID)
}

// ReplayJobs implements driver.OutboxVerbs.
func (c conn) ReplayJobs(ctx context.Context, f usher.JobFilter, now time.Time) (int64, error) {
	q, args := filtered(c.q, f)
	return exec(ctx, q, "ReplayJobs", append([]any{formatTime(now), formatTime(now)}, args...)...)
}

// CountJobs implements driver.OutboxVerbs.
func (c conn) CountJobs(ctx context.Context) ([]usher.OutboxCount, error) {
	return all(ctx, c.q, "CountJobs", func(r *sql.Rows, x *usher.OutboxCount) error {
		return r.Scan(&x.Institution, &x.Kind, &x.State, &x.Count)
	})
}

// DeleteJobs implements driver.OutboxVerbs.
func (c conn) DeleteJobs(ctx context.Context, state usher.JobState, cutoff time.Time) (int64, error) {
	return exec(ctx, c.q, "DeleteJobs", string(state), formatTime(cutoff))
}

// RescheduleQueuedJobs implements driver.OutboxVerbs.
func (c conn) RescheduleQueuedJobs(ctx context.Context, r driver.JobReschedule) (int64, error) {
	return exec(ctx, c.q, "RescheduleQueuedJobs", formatTime(r.RunAt), formatTime(r.Now), r.Institution,
		len(r.Prefix), r.Prefix, formatTime(r.HeldUntil), r.Held)
}

// CountJobsByPrefix implements driver.OutboxVerbs.
func (c conn) CountJobsByPrefix(ctx context.Context, institution, prefix string, heldUntil time.Time) ([]driver.JobPrefixCount, error) {
	return all(ctx, c.q, "CountJobsByPrefix", func(r *sql.Rows, x *driver.JobPrefixCount) error {
		return r.Scan(&x.State, &x.Held, &x.Count)
	}, formatTime(heldUntil), institution, len(prefix), prefix)
}

func scanJob(r *sql.Rows, j *usher.Job) error {
	return r.Scan(&j.ID, &j.TrackingID, &j.Institution, &j.Kind, &j.OrderKey, &j.IdempotencyKey,
		(*textJSON)(&j.Payload), &j.State, &j.Attempts, &j.MaxAttempts, (*textTime)(&j.RunAt), &j.LeaseOwner,
		&j.LeaseToken, textTimePtr{&j.LeaseExpiresAt}, &j.LastError, (*textJSON)(&j.Result), &j.Replayed,
		(*textTime)(&j.CreatedAt), (*textTime)(&j.UpdatedAt), textTimePtr{&j.FinishedAt})
}

// textJSON scans JSON stored as text (a body, a payload) into a
// json.RawMessage of its own, NULL as nil.
type textJSON json.RawMessage

// Scan implements sql.Scanner.
func (t *textJSON) Scan(v any) error {
	switch v := v.(type) {
	case string:
		*t = textJSON(v)
	case []byte:
		*t = append(textJSON(nil), v...)
	case nil:
		*t = nil
	default:
		return fmt.Errorf("sqlite: cannot scan %T into JSON", v)
	}
	return nil
}

// nullJSON is raw as text, or NULL when there is none.
func nullJSON(raw json.RawMessage) any {
	if raw == nil {
		return nil
	}
	return string(raw)
}

// filtered returns q running statements with f's conditions in place of
// their /*filter*/ mark, and the conditions' arguments: SQLite has no
// arrays, so a list is as many placeholders as values.
func filtered(q queryer, f usher.JobFilter) (queryer, []any) {
	var sb strings.Builder
	var args []any
	in := func(col string, values ...any) {
		sb.WriteString(" AND " + col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(values)), ", ") + ")")
		args = append(args, values...)
	}
	if len(f.Institutions) > 0 {
		in("institution", anys(f.Institutions)...)
	}
	if f.Kind != "" {
		in("kind", f.Kind)
	}
	if f.State != "" {
		in("state", string(f.State))
	}
	if len(f.IDs) > 0 {
		in("id", anys(f.IDs)...)
	}
	return withFilter{q, sb.String()}, args
}

func anys[T any](values []T) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}

// withFilter runs statements with conds in place of their /*filter*/ mark.
type withFilter struct {
	queryer
	conds string
}

func (w withFilter) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return w.queryer.QueryContext(ctx, strings.Replace(query, "/*filter*/", w.conds, 1), args...)
}

func (w withFilter) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return w.queryer.ExecContext(ctx, strings.Replace(query, "/*filter*/", w.conds, 1), args...)
}
