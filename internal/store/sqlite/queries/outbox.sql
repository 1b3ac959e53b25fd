-- The outbox: plain verbs over outbox_jobs. Times are TEXT in the
-- fixed-width UTC form, so they compare as strings.

-- name: InsertJob
INSERT INTO outbox_jobs (tracking_id, institution, kind, order_key, idempotency_key, payload, state,
	max_attempts, run_at, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)
ON CONFLICT (institution, kind, idempotency_key) DO NOTHING
RETURNING id, tracking_id, institution, kind, order_key, idempotency_key, payload, state, attempts,
	max_attempts, run_at, coalesce(lease_owner, ''), coalesce(lease_token, ''), lease_expires_at,
	last_error, result, replayed, created_at, updated_at, finished_at;

-- name: JobsByIdempotencyKey
SELECT id, tracking_id, institution, kind, order_key, idempotency_key, payload, state, attempts,
	max_attempts, run_at, coalesce(lease_owner, ''), coalesce(lease_token, ''), lease_expires_at,
	last_error, result, replayed, created_at, updated_at, finished_at
FROM outbox_jobs WHERE institution = ? AND kind = ? AND idempotency_key = ?;

-- name: JobsWithLeaseExpired
-- Every write goes through the one writer connection, which takes the
-- database's write lock at BEGIN: no row needs locking.
SELECT id, tracking_id, institution, kind, order_key, idempotency_key, payload, state, attempts,
	max_attempts, run_at, coalesce(lease_owner, ''), coalesce(lease_token, ''), lease_expires_at,
	last_error, result, replayed, created_at, updated_at, finished_at
FROM outbox_jobs WHERE state = 'inflight' AND lease_expires_at <= ?;

-- name: ClaimJobs
-- The claim names its index (INDEXED BY outbox_jobs_due): without
-- statistics SQLite would pick the state index and sort every queued job
-- on each claim, which made a claim cost as much as the queue was long.
-- ?5 is how many kinds ?6 (a JSON array) lists; none means any kind.
UPDATE outbox_jobs SET state = 'inflight', attempts = attempts + 1,
	lease_owner = ?1, lease_token = ?2, lease_expires_at = ?3, updated_at = ?4
WHERE id IN (
	SELECT j.id FROM outbox_jobs j INDEXED BY outbox_jobs_due
	WHERE j.state = 'queued' AND j.run_at <= ?4
	AND (?5 = 0 OR j.kind IN (SELECT value FROM json_each(?6)))
	AND NOT EXISTS (SELECT 1 FROM outbox_jobs p
		WHERE p.institution = j.institution AND p.order_key = j.order_key
		AND p.state IN ('queued', 'inflight') AND p.id < j.id)
	ORDER BY j.run_at, j.id LIMIT ?7)
RETURNING id, tracking_id, institution, kind, order_key, idempotency_key, payload, state, attempts,
	max_attempts, run_at, coalesce(lease_owner, ''), coalesce(lease_token, ''), lease_expires_at,
	last_error, result, replayed, created_at, updated_at, finished_at;

-- name: UpdateLeasedJob
UPDATE outbox_jobs SET state = ?1, run_at = ?2,
	last_error = CASE WHEN ?3 = '' THEN last_error ELSE ?3 END,
	result = coalesce(?4, result), attempts = max(attempts - ?5, 0),
	lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = ?6, finished_at = ?7
WHERE id = ?8 AND state = 'inflight' AND lease_token = ?9;

-- name: FindJobs
-- The driver puts the filter's conditions, each " AND …", in the marked place.
SELECT id, tracking_id, institution, kind, order_key, idempotency_key, payload, state, attempts,
	max_attempts, run_at, coalesce(lease_owner, ''), coalesce(lease_token, ''), lease_expires_at,
	last_error, result, replayed, created_at, updated_at, finished_at
FROM outbox_jobs WHERE 1=1 /*filter*/ ORDER BY id DESC LIMIT ?;

-- name: JobsByTrackingID
SELECT id, tracking_id, institution, kind, order_key, idempotency_key, payload, state, attempts,
	max_attempts, run_at, coalesce(lease_owner, ''), coalesce(lease_token, ''), lease_expires_at,
	last_error, result, replayed, created_at, updated_at, finished_at
FROM outbox_jobs WHERE institution = ? AND tracking_id = ?;

-- name: ReplayJobs
UPDATE outbox_jobs SET state = 'queued', attempts = 0, replayed = 1, run_at = ?, updated_at = ?,
	finished_at = NULL
WHERE 1=1 /*filter*/;

-- name: CountJobs
SELECT institution, kind, state, count(*) FROM outbox_jobs
GROUP BY institution, kind, state ORDER BY institution, kind, state;

-- name: DeleteJobs
DELETE FROM outbox_jobs WHERE state = ? AND finished_at < ?;

-- name: RescheduleQueuedJobs
UPDATE outbox_jobs SET run_at = ?1, updated_at = ?2
WHERE state = 'queued' AND institution = ?3 AND substr(order_key, 1, ?4) = ?5 AND (run_at >= ?6) = ?7;

-- name: CountJobsByPrefix
SELECT state, run_at >= ?1, count(*) FROM outbox_jobs
WHERE institution = ?2 AND substr(order_key, 1, ?3) = ?4 GROUP BY 1, 2;
