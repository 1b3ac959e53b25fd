-- The outbox: plain verbs over outbox_jobs.

-- name: LockJobOrderKey
SELECT pg_advisory_xact_lock(hashtextextended($1, 0));

-- name: InsertJob
INSERT INTO outbox_jobs (tracking_id, institution, kind, order_key, idempotency_key, payload, state,
	max_attempts, run_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, 'queued', $7, $8, $9, $9)
ON CONFLICT (institution, kind, idempotency_key) DO NOTHING
RETURNING id, tracking_id, institution, kind, order_key, idempotency_key, payload::text, state, attempts,
	max_attempts, run_at, coalesce(lease_owner, ''), coalesce(lease_token, ''), lease_expires_at,
	last_error, result::text, replayed, created_at, updated_at, finished_at;

-- name: JobsByIdempotencyKey
SELECT id, tracking_id, institution, kind, order_key, idempotency_key, payload::text, state, attempts,
	max_attempts, run_at, coalesce(lease_owner, ''), coalesce(lease_token, ''), lease_expires_at,
	last_error, result::text, replayed, created_at, updated_at, finished_at
FROM outbox_jobs WHERE institution = $1 AND kind = $2 AND idempotency_key = $3;

-- name: JobsWithLeaseExpired
-- SKIP LOCKED leaves a job another replica is reclaiming at this moment
-- to that replica.
SELECT id, tracking_id, institution, kind, order_key, idempotency_key, payload::text, state, attempts,
	max_attempts, run_at, coalesce(lease_owner, ''), coalesce(lease_token, ''), lease_expires_at,
	last_error, result::text, replayed, created_at, updated_at, finished_at
FROM outbox_jobs WHERE state = 'inflight' AND lease_expires_at <= $1
FOR UPDATE SKIP LOCKED;

-- name: ClaimJobs
-- FOR UPDATE SKIP LOCKED makes concurrent claims by other replicas pass
-- over rows this one is taking instead of waiting for them or taking them
-- too; a row claimed and committed meanwhile is re-checked and dropped.
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
RETURNING id, tracking_id, institution, kind, order_key, idempotency_key, payload::text, state, attempts,
	max_attempts, run_at, coalesce(lease_owner, ''), coalesce(lease_token, ''), lease_expires_at,
	last_error, result::text, replayed, created_at, updated_at, finished_at;

-- name: UpdateLeasedJob
UPDATE outbox_jobs SET state = $1, run_at = $2,
	last_error = CASE WHEN $3 = '' THEN last_error ELSE $3 END,
	result = coalesce($4::jsonb, result), attempts = greatest(attempts - $5, 0),
	lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = $6, finished_at = $7
WHERE id = $8 AND state = 'inflight' AND lease_token = $9;

-- name: FindJobs
-- The driver puts the filter's conditions, each " AND …" with arguments
-- from $2, in the marked place.
SELECT id, tracking_id, institution, kind, order_key, idempotency_key, payload::text, state, attempts,
	max_attempts, run_at, coalesce(lease_owner, ''), coalesce(lease_token, ''), lease_expires_at,
	last_error, result::text, replayed, created_at, updated_at, finished_at
FROM outbox_jobs WHERE true /*filter*/ ORDER BY id DESC LIMIT $1;

-- name: JobsByTrackingID
SELECT id, tracking_id, institution, kind, order_key, idempotency_key, payload::text, state, attempts,
	max_attempts, run_at, coalesce(lease_owner, ''), coalesce(lease_token, ''), lease_expires_at,
	last_error, result::text, replayed, created_at, updated_at, finished_at
FROM outbox_jobs WHERE institution = $1 AND tracking_id = $2;

-- name: ReplayJobs
UPDATE outbox_jobs SET state = 'queued', attempts = 0, replayed = true, run_at = $1, updated_at = $1,
	finished_at = NULL
WHERE true /*filter*/;

-- name: CountJobs
SELECT institution, kind, state, count(*) FROM outbox_jobs
GROUP BY institution, kind, state ORDER BY institution, kind, state;

-- name: DeleteJobs
DELETE FROM outbox_jobs WHERE state = $1 AND finished_at < $2;

-- name: RescheduleQueuedJobs
UPDATE outbox_jobs SET run_at = $1, updated_at = $2
WHERE state = 'queued' AND institution = $3 AND starts_with(order_key, $4) AND (run_at >= $5) = $6;

-- name: CountJobsByPrefix
SELECT state, run_at >= $1, count(*) FROM outbox_jobs
WHERE institution = $2 AND starts_with(order_key, $3) GROUP BY 1, 2;
