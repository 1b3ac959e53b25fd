package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
)

const jobColumns = `id, tracking_id, institution, kind, order_key, idempotency_key, payload::text, state,
	attempts, max_attempts, run_at, lease_owner, lease_token, lease_expires_at, last_error, result::text,
	replayed, created_at, updated_at, finished_at`

// enqueueSQL inserts a job unless one with its idempotency key exists.
const enqueueSQL = `INSERT INTO outbox_jobs
	(tracking_id, institution, kind, order_key, idempotency_key, payload, state, max_attempts, run_at, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6::jsonb, 'queued', $7, $8, $9, $9)
	ON CONFLICT (institution, kind, idempotency_key) DO NOTHING
	RETURNING ` + jobColumns

// EnqueueJobs adds jobs in one transaction; see usher.OutboxStore.
func (s *Store) EnqueueJobs(ctx context.Context, jobs []usher.NewJob) ([]usher.Job, error) {
	var out []usher.Job
	err := s.inTx(ctx, "enqueue jobs", func(tx pgx.Tx) error {
		if err := lockOrderKeys(ctx, tx, jobs); err != nil {
			return err
		}
		out = make([]usher.Job, 0, len(jobs))
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

// lockOrderKeys serialises enqueues of the same order key until commit.
// Identity values are taken at insert but become visible at commit, so two
// concurrent transactions could otherwise commit a key's jobs out of id
// order and a worker run the later one first. Keys are locked in sorted
// order so that two transactions never wait for each other in a cycle.
func lockOrderKeys(ctx context.Context, tx pgx.Tx, jobs []usher.NewJob) error {
	keys := make([]string, 0, len(jobs))
	for _, j := range jobs {
		keys = append(keys, j.Institution+"\n"+j.OrderKey)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 && keys[i-1] == k {
			continue
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, k); err != nil {
			return err
		}
	}
	return nil
}

func enqueue(ctx context.Context, tx pgx.Tx, nj usher.NewJob, now time.Time) (usher.Job, error) {
	if err := checkNewJob(nj); err != nil {
		return usher.Job{}, err
	}
	runAt := nj.RunAt
	if runAt.IsZero() {
		runAt = now
	}
	j, err := scanJob(tx.QueryRow(ctx, enqueueSQL, usher.NewTrackingID(), nj.Institution, nj.Kind, nj.OrderKey,
		nj.IdempotencyKey, string(nj.Payload), nj.MaxAttempts, runAt, now))
	if errors.Is(err, pgx.ErrNoRows) {
		j, err = scanJob(tx.QueryRow(ctx, `SELECT `+jobColumns+` FROM outbox_jobs
			WHERE institution = $1 AND kind = $2 AND idempotency_key = $3`, nj.Institution, nj.Kind, nj.IdempotencyKey))
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

// reclaimSQL returns jobs whose worker let the lease lapse (it crashed or
// hung) to the queue, or to the dead letter after their last attempt: a
// job that kills its worker must not do so forever. SKIP LOCKED leaves a
// job another replica is reclaiming at this moment to that replica.
const reclaimSQL = `
WITH expired AS (
	SELECT id FROM outbox_jobs WHERE state = 'inflight' AND lease_expires_at <= $1::timestamptz
	FOR UPDATE SKIP LOCKED
)
UPDATE outbox_jobs o SET
	state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
	finished_at = CASE WHEN attempts >= max_attempts THEN $1::timestamptz ELSE NULL END,
	last_error = 'lease of ' || coalesce(lease_owner, '?') || ' expired before the attempt finished',
	run_at = $1::timestamptz, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = $1::timestamptz
FROM expired WHERE o.id = expired.id`

// claimSQL leases the oldest due jobs that are first of their order key.
// FOR UPDATE SKIP LOCKED makes concurrent claims by other replicas pass
// over rows this one is taking instead of waiting for them or taking them
// too; a row claimed and committed meanwhile is re-checked and dropped.
const claimSQL = `
WITH due AS (
	SELECT j.id AS due_id FROM outbox_jobs j
	WHERE j.state = 'queued' AND j.run_at <= $1 AND (cardinality($2::text[]) = 0 OR j.kind = ANY($2))
	AND NOT EXISTS (SELECT 1 FROM outbox_jobs p
		WHERE p.institution = j.institution AND p.order_key = j.order_key
		AND p.state IN ('queued', 'inflight') AND p.id < j.id)
	ORDER BY j.run_at, j.id LIMIT $3
	FOR UPDATE OF j SKIP LOCKED
)
UPDATE outbox_jobs o SET state = 'inflight', attempts = attempts + 1,
	lease_owner = $4, lease_token = $5, lease_expires_at = $6, updated_at = $1
FROM due WHERE o.id = due.due_id AND o.state = 'queued'
RETURNING ` + jobColumns

// ClaimJobs leases due jobs; see usher.OutboxStore.
func (s *Store) ClaimJobs(ctx context.Context, req usher.ClaimRequest) ([]usher.Job, error) {
	if req.Limit <= 0 {
		return nil, nil
	}
	token := newLeaseToken()
	kinds := req.Kinds
	if kinds == nil {
		kinds = []string{}
	}
	var jobs []usher.Job
	err := s.inTx(ctx, "claim jobs", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, reclaimSQL, req.Now); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, claimSQL, req.Now, kinds, req.Limit, req.Owner, token, req.LeaseUntil)
		if err != nil {
			return err
		}
		jobs, err = scanJobs(rows)
		return err
	})
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].ID < jobs[b].ID })
	return jobs, err
}

// FinishJob records the end of an attempt; see usher.OutboxStore.
func (s *Store) FinishJob(ctx context.Context, f usher.JobFinish) error {
	var finished *time.Time
	if f.State == usher.JobDone || f.State == usher.JobFailed {
		finished = &f.Now
	}
	giveBack := 0
	if f.Snoozed {
		giveBack = 1
	}
	var result *string
	if len(f.Result) > 0 {
		r := string(f.Result)
		result = &r
	}
	runAt := f.RunAt
	if runAt.IsZero() {
		runAt = f.Now
	}
	tag, err := s.pool.Exec(ctx, `UPDATE outbox_jobs SET state = $1, run_at = $2,
		last_error = CASE WHEN $3 = '' THEN last_error ELSE $3 END,
		result = coalesce($4::jsonb, result), attempts = greatest(attempts - $5, 0),
		lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = $6, finished_at = $7
		WHERE id = $8 AND state = 'inflight' AND lease_token = $9`,
		string(f.State), runAt, f.Error, result, giveBack, f.Now, finished, f.ID, f.LeaseToken)
	if err != nil {
		return unavailable("finish job", err)
	}
	if tag.RowsAffected() == 0 {
		return usher.Errorf(usher.ECONFLICT, "job %d: lease lost (it expired and another worker claimed the job)", f.ID)
	}
	return nil
}

// FindJobs lists jobs; see usher.OutboxStore.
func (s *Store) FindJobs(ctx context.Context, f usher.JobFilter) ([]usher.Job, error) {
	where, args := jobWhere(f)
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	rows, err := s.pool.Query(ctx, `SELECT `+jobColumns+` FROM outbox_jobs WHERE true`+where+
		fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)), args...)
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
	j, err := scanJob(s.pool.QueryRow(ctx, `SELECT `+jobColumns+` FROM outbox_jobs
		WHERE institution = $1 AND tracking_id = $2`, institution, trackingID))
	if errors.Is(err, pgx.ErrNoRows) {
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
	args = append(args, now)
	tag, err := s.pool.Exec(ctx, fmt.Sprintf(`UPDATE outbox_jobs SET state = 'queued', attempts = 0, replayed = true,
		run_at = $%[1]d, updated_at = $%[1]d, finished_at = NULL WHERE true`, len(args))+where, args...)
	if err != nil {
		return 0, unavailable("retry jobs", err)
	}
	return int(tag.RowsAffected()), nil
}

// CountJobs counts jobs; see usher.OutboxStore.
func (s *Store) CountJobs(ctx context.Context) ([]usher.OutboxCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT institution, kind, state, count(*) FROM outbox_jobs
		GROUP BY institution, kind, state ORDER BY institution, kind, state`)
	if err != nil {
		return nil, unavailable("count jobs", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (usher.OutboxCount, error) {
		var c usher.OutboxCount
		err := r.Scan(&c.Institution, &c.Kind, &c.State, &c.Count)
		return c, err
	})
	if err != nil {
		return nil, unavailable("count jobs", err)
	}
	return out, nil
}

// PruneJobs deletes old done jobs; see usher.OutboxStore.
func (s *Store) PruneJobs(ctx context.Context, cutoff time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM outbox_jobs WHERE state = 'done' AND finished_at < $1`, cutoff)
	if err != nil {
		return 0, unavailable("prune jobs", err)
	}
	return int(tag.RowsAffected()), nil
}

// jobWhere builds the filter's conditions with numbered placeholders.
func jobWhere(f usher.JobFilter) (string, []any) {
	var sb strings.Builder
	var args []any
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
	return sb.String(), args
}

func scanJob(row pgx.Row) (usher.Job, error) {
	var j usher.Job
	var payload string
	var owner, token, result *string
	var state string
	err := row.Scan(&j.ID, &j.TrackingID, &j.Institution, &j.Kind, &j.OrderKey, &j.IdempotencyKey, &payload, &state,
		&j.Attempts, &j.MaxAttempts, &j.RunAt, &owner, &token, &j.LeaseExpiresAt, &j.LastError, &result,
		&j.Replayed, &j.CreatedAt, &j.UpdatedAt, &j.FinishedAt)
	if err != nil {
		return j, err
	}
	j.Payload = json.RawMessage(payload)
	j.State = usher.JobState(state)
	if owner != nil {
		j.LeaseOwner = *owner
	}
	if token != nil {
		j.LeaseToken = *token
	}
	if result != nil {
		j.Result = json.RawMessage(*result)
	}
	return j, nil
}

func scanJobs(rows pgx.Rows) ([]usher.Job, error) {
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

// newLeaseToken returns a random token that fences one claim: only the
// holder of the current token can finish the job.
func newLeaseToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
