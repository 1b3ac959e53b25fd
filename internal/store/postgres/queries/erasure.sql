-- Statements of the erasure area (driver.ErasureVerbs). Every read locks
-- its rows (FOR UPDATE) until the erasure commits, so no concurrent write
-- slips a row past it. Documents and jobs hold JSON as jsonb; a
-- quarantined body is bytea, since it need not even be text.

-- name: ErasableContactVersions
SELECT id, stream, body::text FROM documents
WHERE institution = $1 AND stream = 'contacts' AND external_id = $2
FOR UPDATE;

-- name: RewriteContactVersions
UPDATE documents SET body = $2::jsonb WHERE id = $1;

-- name: ErasableOrderVersions
SELECT id, stream, body::text FROM documents
WHERE institution = $1 AND stream = 'orders'
  AND coalesce(body->'orderDetailsData'->>'contactNumber', body->>'contactNumber') = $2
FOR UPDATE;

-- name: RewriteOrderVersions
UPDATE documents SET body = $2::jsonb WHERE id = $1;

-- name: ErasableQuarantined
SELECT id, stream, body FROM quarantine
WHERE institution = $1 AND stream IN ('contacts', 'orders')
  AND (external_id = $2 OR position(convert_to($2, 'UTF8') IN body) > 0)
FOR UPDATE;

-- name: RewriteQuarantined
UPDATE quarantine SET body = $2 WHERE id = $1;

-- name: ErasableContactJobs
SELECT id, state, payload::text FROM outbox_jobs
WHERE institution = $1 AND kind = $2 AND payload->'contact'->>'contactNumber' = $3
FOR UPDATE;

-- name: RewriteJobPayload
UPDATE outbox_jobs SET payload = $2::jsonb WHERE id = $1;

-- name: InsertErasure
INSERT INTO erasures (institution, contact_number, actor, reason, erased_at, rewritten)
VALUES ($1, $2, $3, $4, $5, $6::jsonb);

-- name: ListErasures
SELECT institution, contact_number, actor, reason, erased_at, rewritten::text
FROM erasures WHERE institution = $1 AND kind = 'erasure' ORDER BY id DESC;
