package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// The outbox's verbs (driver.OutboxVerbs), SQL in queries/outbox.sql.

var _ driver.Autocommitter = (*Store)(nil)

// Autocommit runs fn's one statement on the pool, a transaction of its
// own, again after a deadlock (withRetries).
func (s *Store) Autocommit(ctx context.Context, op string, fn func(context.Context, driver.Executor) error) error {
	return withRetries(op, func() error { return fn(ctx, s.conn) })
}

// LockJobOrderKey implements driver.OutboxVerbs with an advisory lock
// held until the transaction ends.
func (c conn) LockJobOrderKey(ctx context.Context, key string) error {
	_, err := exec(ctx, c.q, "LockJobOrderKey", key)
	return err
}

// InsertJob implements driver.OutboxVerbs.
func (c conn) InsertJob(ctx context.Context, j driver.JobInsert) ([]usher.Job, error) {
	return all(ctx, c.q, "InsertJob", scanJob, j.TrackingID, j.Institution, j.Kind, j.OrderKey, j.IdempotencyKey,
		string(j.Payload), j.MaxAttempts, j.RunAt, j.Now)
}

// JobsByIdempotencyKey implements driver.OutboxVerbs.
func (c conn) JobsByIdempotencyKey(ctx context.Context, institution, kind, key string) ([]usher.Job, error) {
	return all(ctx, c.q, "JobsByIdempotencyKey", scanJob, institution, kind, key)
}

// JobsWithLeaseExpired implements driver.OutboxVerbs.
func (c conn) JobsWithLeaseExpired(ctx context.Context, now time.Time) ([]usher.Job, error) {
	return all(ctx, c.q, "JobsWithLeaseExpired", scanJob, now)
}

// ClaimJobs implements driver.OutboxVerbs.
func (c conn) ClaimJobs(ctx context.Context, cl driver.JobClaim) ([]usher.Job, error) {
	kinds := cl.Kinds
	if kinds == nil {
		kinds = []string{}
	}
	return all(ctx, c.q, "ClaimJobs", scanJob, cl.Now, kinds, cl.Limit, cl.Owner, cl.Token, cl.LeaseUntil)
}

// UpdateLeasedJob implements driver.OutboxVerbs.
func (c conn) UpdateLeasedJob(ctx context.Context, u driver.JobUpdate) (int64, error) {
	var result *string
	if u.Result != nil {
		r := string(u.Result)
		result = &r
	}
	return exec(ctx, c.q, "UpdateLeasedJob", string(u.State), u.RunAt, u.Error, result, u.GiveBack, u.Now,
		u.FinishedAt, u.ID, u.LeaseToken)
}

// FindJobs implements driver.OutboxVerbs.
func (c conn) FindJobs(ctx context.Context, f usher.JobFilter, limit int) ([]usher.Job, error) {
	q, args := filtered(c.q, f, limit)
	return all(ctx, q, "FindJobs", scanJob, args...)
}

// JobsByTrackingID implements driver.OutboxVerbs.
func (c conn) JobsByTrackingID(ctx context.Context, institution, trackingID string) ([]usher.Job, error) {
	return all(ctx, c.q, "JobsByTrackingID", scanJob, institution, trackingID)
}

// ReplayJobs implements driver.OutboxVerbs.
func (c conn) ReplayJobs(ctx context.Context, f usher.JobFilter, now time.Time) (int64, error) {
	q, args := filtered(c.q, f, now)
	return exec(ctx, q, "ReplayJobs", args...)
}

// CountJobs implements driver.OutboxVerbs.
func (c conn) CountJobs(ctx context.Context) ([]usher.OutboxCount, error) {
	return all(ctx, c.q, "CountJobs", func(r pgx.Row, x *usher.OutboxCount) error {
		return r.Scan(&x.Institution, &x.Kind, &x.State, &x.Count)
	})
}

// DeleteJobs implements driver.OutboxVerbs.
func (c conn) DeleteJobs(ctx context.Context, state usher.JobState, cutoff time.Time) (int64, error) {
	return exec(ctx, c.q, "DeleteJobs", string(state), cutoff)
}

// RescheduleQueuedJobs implements driver.OutboxVerbs.
func (c conn) RescheduleQueuedJobs(ctx context.Context, r driver.JobReschedule) (int64, error) {
	return exec(ctx, c.q, "RescheduleQueuedJobs", r.RunAt, r.Now, r.Institution, r.Prefix, r.HeldUntil, r.Held)
}

// CountJobsByPrefix implements driver.OutboxVerbs.
func (c conn) CountJobsByPrefix(ctx context.Context, institution, prefix string, heldUntil time.Time) ([]driver.JobPrefixCount, error) {
	return all(ctx, c.q, "CountJobsByPrefix", func(r pgx.Row, x *driver.JobPrefixCount) error {
		return r.Scan(&x.State, &x.Held, &x.Count)
	}, heldUntil, institution, prefix)
}

func scanJob(r pgx.Row, j *usher.Job) error {
	return r.Scan(&j.ID, &j.TrackingID, &j.Institution, &j.Kind, &j.OrderKey, &j.IdempotencyKey, &j.Payload,
		&j.State, &j.Attempts, &j.MaxAttempts, &j.RunAt, &j.LeaseOwner, &j.LeaseToken, &j.LeaseExpiresAt,
		&j.LastError, &j.Result, &j.Replayed, &j.CreatedAt, &j.UpdatedAt, &j.FinishedAt)
}

// filtered returns q running statements with f's conditions in place of
// their /*filter*/ mark, and the arguments: first, then the conditions'.
func filtered(q querier, f usher.JobFilter, first any) (querier, []any) {
	var sb strings.Builder
	args := []any{first}
	add := func(cond string, v any) {
		args = append(args, v)
		sb.WriteString(fmt.Sprintf(" AND "+cond, len(args)))
	}
	if len(f.Institutions) > 0 {
		add("institution = ANY($%d)", f.Institutions)
	}
	if f.Kind != "" {
		add("kind = $%d", f.Kind)
	}
	if f.State != "" {
		add("state = $%d", string(f.State))
	}
	if len(f.IDs) > 0 {
		add("id = ANY($%d)", f.IDs)
	}
	return withFilter{q, sb.String()}, args
}

// withFilter runs statements with conds in place of their /*filter*/ mark.
type withFilter struct {
	querier
	conds string
}

func (w withFilter) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return w.querier.Query(ctx, strings.Replace(sql, "/*filter*/", w.conds, 1), args...)
}

func (w withFilter) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return w.querier.Exec(ctx, strings.Replace(sql, "/*filter*/", w.conds, 1), args...)
}
