-- Statements of the ratelimit area (driver.RateLimitVerbs).

-- name: RateBuckets
SELECT tat, blocked_until FROM rate_buckets WHERE name = $1;

-- name: CreateRateBucket
INSERT INTO rate_buckets (name, tat, blocked_until) VALUES ($1, $2, $2)
ON CONFLICT (name) DO NOTHING;

-- LockRateBucket follows CreateRateBucket: the row exists, and its lock
-- makes the read-modify-write atomic across replicas: each sees the slots
-- the others took before it.
-- name: LockRateBucket
SELECT tat, blocked_until FROM rate_buckets WHERE name = $1 FOR UPDATE;

-- name: PutRateBucket
INSERT INTO rate_buckets (name, tat, blocked_until) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE SET tat = excluded.tat, blocked_until = excluded.blocked_until;
