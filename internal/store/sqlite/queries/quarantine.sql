-- Statements of the quarantine area (quarantine.go).

-- name: Quarantine
-- A bad document whose content is already pending is seen again.
INSERT INTO quarantine
	(institution, stream, doc_type, external_id, content_hash, body, schema_version, violations, received_at, last_seen_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
ON CONFLICT (institution, doc_type, content_hash) WHERE released_at IS NULL DO UPDATE SET
	last_seen_at = excluded.last_seen_at,
	seen_count = quarantine.seen_count + 1,
	schema_version = excluded.schema_version,
	violations = excluded.violations;

-- name: ListQuarantined
-- The second parameter lists institutions as JSON (NULL: all), the third
-- is a stream ('' for all), the fourth whether released (NULL: both).
SELECT id, institution, stream, doc_type, external_id, content_hash, body, schema_version,
	violations, received_at, last_seen_at, seen_count, replayed_at, released_at, coalesce(release_outcome, '')
FROM quarantine
WHERE id > ?1
	AND (?2 IS NULL OR institution IN (SELECT value FROM json_each(?2)))
	AND (?3 = '' OR stream = ?3)
	AND (?4 IS NULL OR (released_at IS NOT NULL) = ?4)
ORDER BY id LIMIT ?5;

-- name: QuarantineExists
SELECT 1 FROM quarantine WHERE id = ?;

-- name: RecheckQuarantined
UPDATE quarantine SET schema_version = ?, violations = ?, replayed_at = ?
WHERE id = ? AND released_at IS NULL;

-- name: ClaimQuarantined
UPDATE quarantine SET released_at = ?1, replayed_at = ?1
WHERE id = ?2 AND released_at IS NULL;

-- name: SetReleaseOutcome
UPDATE quarantine SET release_outcome = ? WHERE id = ?;
