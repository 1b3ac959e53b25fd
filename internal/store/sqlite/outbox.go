package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/usher-hub/usher"
)

// Claims need no row locks here: every write goes through the one writer
// connection, and _txlock=immediate takes the database's write lock at
// BEGIN, so claims by several goroutines or processes are serialised.
//
// The claim names its index (INDEXED BY outbox_jobs_due): without
// statistics SQLite would pick the state index and sort every queued job
// on each claim, which made a claim cost as much as the queue was long.

const jobColumns = `id, tracking_id, institution, kind, order_key, idempotency_key, payload, state,
	attempts, max_attempts, run_at, lease_owner, lease_token, lease_expires_at, last_error, result,
	replayed, created_at, updated_at, finished_at`

// EnqueueJobs adds jobs in one transaction; see usher.OutboxStore.
func (s *Store) EnqueueJobs(ctx context.Context, jobs []usher.NewJob) ([]usher.Job, error) {
	out := make([]usher.Job, 0, len(jobs))
	err := s.inWriteTx(ctx, "enqueue jobs", func(ctx context.Context, tx *sql.Tx) error {
		out = out[:0]
		for _, nj := range jobs {
			j, err := enqueue(ctx, tx, nj, s.now())
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return nil
	})
	return out, err
}

// enqueue inserts one job in tx, or returns the job already enqueued with
// the same idempotency key.
func enqueue(ctx context.Context, tx *sql.Tx, nj usher.NewJob, now time.Time) (usher.Job, error) {
	if err := checkNewJob(nj); err != nil {
		return usher.Job{}, err
	}
	runAt := nj.RunAt
	if runAt.IsZero() {
		runAt = now
	}
	row := tx.QueryRowContext(ctx, `INSERT INTO outbox_jobs
		(tracking_id, institution, kind, order_key, idempotency_key, payload, state, max_attempts, run_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)
		ON CONFLICT (institution, kind, idempotency_key) DO NOTHING
		RETURNING `+jobColumns,
		usher.NewTrackingID(), nj.Institution, nj.Kind, nj.OrderKey, nj.IdempotencyKey, string(nj.Payload),
		nj.MaxAttempts, formatTime(runAt), formatTime(now), formatTime(now))
	j, err := scanJob(row)
	if errors.Is(err, sql.ErrNoRows) {
		row = tx.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM outbox_jobs
			WHERE institution = ? AND kind = ? AND idempotency_key = ?`, nj.Institution, nj.Kind, nj.IdempotencyKey)
		j, err = scanJob(row)
	}
	return j, err
}

func checkNewJob(nj usher.NewJob) error {
	if nj.Institution == "" || nj.Kind == "" || nj.OrderKey == "" || nj.IdempotencyKey == "" {
		return usher.Errorf(usher.EINVALID, "a job needs an institution, kind, order key and idempotency key")
	}
	if nj.MaxAttempts < 1 {
		return usher.Errorf(usher.EINVALID, "a job needs at least one attempt")
	}
	if !json.Valid(nj.Payload) {
		return usher.Errorf(usher.EINVALID, "job payload is not valid JSON")
	}
	return nil
}

// ClaimJobs leases due jobs; see usher.OutboxStore.
func (s *Store) ClaimJobs(ctx context.Context, req usher.ClaimRequest) ([]usher.Job, error) {
	if req.Limit <= 0 {
		return nil, nil
	}
	token := newLeaseToken()
	now := formatTime(req.Now)
	var jobs []usher.Job
	err := s.inWriteTx(ctx, "claim jobs", func(ctx context.Context, tx *sql.Tx) error {
		if err := reclaimExpired(ctx, tx, now); err != nil {
			return err
		}
		kindFilter, args := inList("j.kind", req.Kinds)
		args = append([]any{req.Owner, token, formatTime(req.LeaseUntil), now, now}, args...)
		args = append(args, req.Limit)
		rows, err := tx.QueryContext(ctx, `UPDATE outbox_jobs SET state = 'inflight', attempts = attempts + 1,
			lease_owner = ?, lease_token = ?, lease_expires_at = ?, updated_at = ?
			WHERE id IN (
				SELECT j.id FROM outbox_jobs j INDEXED BY outbox_jobs_due
				WHERE j.state = 'queued' AND j.run_at <= ?`+kindFilter+`
				AND NOT EXISTS (SELECT 1 FROM outbox_jobs p
					WHERE p.institution = j.institution AND p.order_key = j.order_key
					AND p.state IN ('queued', 'inflight') AND p.id < j.id)
				ORDER BY j.run_at, j.id LIMIT ?)
			RETURNING `+jobColumns, args...)
		if err != nil {
			return err
		}
		jobs, err = scanJobs(rows)
		return err
	})
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].ID < jobs[b].ID })
	return jobs, err
}

// reclaimExpired returns jobs whose worker let the lease lapse (it
// crashed or hung) to the queue, or to the dead letter when that was
// their last attempt: a job that kills its worker must not do so forever.
func reclaimExpired(ctx context.Context, tx *sql.Tx, now string) error {
	_, err := tx.ExecContext(ctx, `UPDATE outbox_jobs SET
		state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
		finished_at = CASE WHEN attempts >= max_attempts THEN ? ELSE NULL END,
		last_error = 'lease of ' || coalesce(lease_owner, '?') || ' expired before the attempt finished',
		run_at = ?, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = ?
		WHERE state = 'inflight' AND lease_expires_at <= ?`, now, now, now, now)
	return err
}

// FinishJob records the end of an attempt; see usher.OutboxStore.
func (s *Store) FinishJob(ctx context.Context, f usher.JobFinish) error {
	return s.inWriteTx(ctx, "finish job", func(ctx context.Context, tx *sql.Tx) error {
		now := formatTime(f.Now)
		var finished any
		if f.State == usher.JobDone || f.State == usher.JobFailed {
			finished = now
		}
		giveBack := 0
		if f.Snoozed {
			giveBack = 1
		}
		var result any
		if len(f.Result) > 0 {
			result = string(f.Result)
		}
		res, err := tx.ExecContext(ctx, `UPDATE outbox_jobs SET state = ?, run_at = ?,
			last_error = CASE WHEN ? = '' THEN last_error ELSE ? END,
			result = coalesce(?, result), attempts = max(attempts - ?, 0),
			lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = ?, finished_at = ?
			WHERE id = ? AND state = 'inflight' AND lease_token = ?`,
			string(f.State), formatTime(runAtOr(f)), f.Error, f.Error, result, giveBack, now, finished, f.ID, f.LeaseToken)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errLeaseLost(f.ID)
		}
		return nil
	})
}

func runAtOr(f usher.JobFinish) time.Time {
	if f.RunAt.IsZero() {
		return f.Now
	}
	return f.RunAt
}

func errLeaseLost(id int64) error {
	return usher.Errorf(usher.ECONFLICT, "job %d: lease lost (it expired and another worker claimed the job)", id)
}

// FindJobs lists jobs; see usher.OutboxStore.
func (s *Store) FindJobs(ctx context.Context, f usher.JobFilter) ([]usher.Job, error) {
	where, args := jobWhere(f)
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+jobColumns+` FROM outbox_jobs WHERE 1=1`+where+
		` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, unavailable("find jobs", err)
	}
	jobs, err := scanJobs(rows)
	if err != nil {
		return nil, unavailable("find jobs", err)
	}
	return jobs, nil
}

// JobByTrackingID returns one job; see usher.OutboxStore.
func (s *Store) JobByTrackingID(ctx context.Context, institution, trackingID string) (usher.Job, error) {
	j, err := scanJob(s.read.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM outbox_jobs
		WHERE institution = ? AND tracking_id = ?`, institution, trackingID))
	if errors.Is(err, sql.ErrNoRows) {
		return j, usher.Errorf(usher.ENOTFOUND, "no job %q", trackingID)
	}
	if err != nil {
		return j, unavailable("find job", err)
	}
	return j, nil
}

// RetryJobs requeues failed jobs; see usher.OutboxStore.
func (s *Store) RetryJobs(ctx context.Context, f usher.JobFilter, now time.Time) (int, error) {
	f.State = usher.JobFailed
	where, args := jobWhere(f)
	var n int64
	err := s.inWriteTx(ctx, "retry jobs", func(ctx context.Context, tx *sql.Tx) error {
		at := formatTime(now)
		res, err := tx.ExecContext(ctx, `UPDATE outbox_jobs SET state = 'queued', attempts = 0, replayed = 1,
			run_at = ?, updated_at = ?, finished_at = NULL WHERE 1=1`+where, append([]any{at, at}, args...)...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// CountJobs counts jobs; see usher.OutboxStore.
func (s *Store) CountJobs(ctx context.Context) ([]usher.OutboxCount, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT institution, kind, state, count(*) FROM outbox_jobs
		GROUP BY institution, kind, state ORDER BY institution, kind, state`)
	if err != nil {
		return nil, unavailable("count jobs", err)
	}
	defer rows.Close()
	var out []usher.OutboxCount
	for rows.Next() {
		var c usher.OutboxCount
		if err := rows.Scan(&c.Institution, &c.Kind, &c.State, &c.Count); err != nil {
			return nil, unavailable("count jobs", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("count jobs", err)
	}
	return out, nil
}

// PruneJobs deletes old done jobs; see usher.OutboxStore.
func (s *Store) PruneJobs(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := s.inWriteTx(ctx, "prune jobs", func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM outbox_jobs WHERE state = 'done' AND finished_at < ?`, formatTime(cutoff))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

func jobWhere(f usher.JobFilter) (string, []any) {
	var sb strings.Builder
	var args []any
	if len(f.Institutions) > 0 {
		clause, a := inList("institution", f.Institutions)
		sb.WriteString(clause)
		args = append(args, a...)
	}
	if f.Kind != "" {
		sb.WriteString(" AND kind = ?")
		args = append(args, f.Kind)
	}
	if f.State != "" {
		sb.WriteString(" AND state = ?")
		args = append(args, string(f.State))
	}
	if len(f.IDs) > 0 {
		ids := make([]string, len(f.IDs))
		for i, id := range f.IDs {
			ids[i] = "?"
			args = append(args, id)
		}
		sb.WriteString(" AND id IN (" + strings.Join(ids, ", ") + ")")
	}
	return sb.String(), args
}

// inList returns " AND col IN (?, …)" for values, or nothing when there
// are none.
func inList(col string, values []string) (string, []any) {
	if len(values) == 0 {
		return "", nil
	}
	marks := make([]string, len(values))
	args := make([]any, len(values))
	for i, v := range values {
		marks[i] = "?"
		args[i] = v
	}
	return " AND " + col + " IN (" + strings.Join(marks, ", ") + ")", args
}

type rowScanner interface{ Scan(dest ...any) error }

func scanJob(row rowScanner) (usher.Job, error) {
	var j usher.Job
	var payload string
	var owner, token, leaseExp, result, finished sql.NullString
	var runAt, created, updated string
	var state string
	err := row.Scan(&j.ID, &j.TrackingID, &j.Institution, &j.Kind, &j.OrderKey, &j.IdempotencyKey, &payload, &state,
		&j.Attempts, &j.MaxAttempts, &runAt, &owner, &token, &leaseExp, &j.LastError, &result,
		&j.Replayed, &created, &updated, &finished)
	if err != nil {
		return j, err
	}
	j.Payload = json.RawMessage(payload)
	j.State = usher.JobState(state)
	j.RunAt, j.CreatedAt, j.UpdatedAt = parseTime(runAt), parseTime(created), parseTime(updated)
	j.LeaseOwner, j.LeaseToken = owner.String, token.String
	j.LeaseExpiresAt = parseTimeNull(leaseExp)
	j.FinishedAt = parseTimeNull(finished)
	if result.Valid {
		j.Result = json.RawMessage(result.String)
	}
	return j, nil
}

func scanJobs(rows *sql.Rows) ([]usher.Job, error) {
	defer rows.Close()
	var out []usher.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

func parseTimeNull(s sql.NullString) *time.Time {
	if !s.Valid || s.String == "" {
		return nil
	}
	t := parseTime(s.String)
	return &t
}

// newLeaseToken returns a random token that fences one claim: only the
// holder of the current token can finish the job.
func newLeaseToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
