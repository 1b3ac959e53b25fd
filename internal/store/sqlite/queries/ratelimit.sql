-- Statements of the ratelimit area (driver.RateLimitVerbs). A bucket is
-- read and written inside the writer's transaction, which SQLite's single
-- writer serialises across every process sharing the file.

-- name: RateBuckets
SELECT tat, blocked_until FROM rate_buckets WHERE name = ?1;

-- name: PutRateBucket
INSERT INTO rate_buckets (name, tat, blocked_until) VALUES (?1, ?2, ?3)
ON CONFLICT (name) DO UPDATE SET tat = excluded.tat, blocked_until = excluded.blocked_until;
