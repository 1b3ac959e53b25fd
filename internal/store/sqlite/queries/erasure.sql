-- Statements of the erasure area (driver.ErasureVerbs). The writer's
-- single connection serialises an erasure with every other write.
-- Documents and jobs hold JSON as TEXT (json_extract reads no BLOB); a
-- quarantined body is a BLOB, since it need not even be text.

-- name: ErasableContactVersions
SELECT id, stream, body FROM documents
WHERE institution = ?1 AND stream = 'contacts' AND external_id = ?2;

-- name: RewriteContactVersions
UPDATE documents SET body = CAST(?2 AS TEXT) WHERE id = ?1;

-- name: ErasableOrderVersions
SELECT id, stream, body FROM documents
WHERE institution = ?1 AND stream = 'orders'
  AND coalesce(json_extract(body, '$.orderDetailsData.contactNumber'), json_extract(body, '$.contactNumber')) = ?2;

-- name: RewriteOrderVersions
UPDATE documents SET body = CAST(?2 AS TEXT) WHERE id = ?1;

-- name: ErasableQuarantined
SELECT id, stream, body FROM quarantine
WHERE institution = ?1 AND stream IN ('contacts', 'orders') AND (external_id = ?2 OR instr(body, ?2) > 0);

-- name: RewriteQuarantined
UPDATE quarantine SET body = ?2 WHERE id = ?1;

-- name: ErasableContactJobs
SELECT id, state, payload FROM outbox_jobs
WHERE institution = ?1 AND kind = ?2 AND json_extract(payload, '$.contact.contactNumber') = ?3;

-- name: RewriteJobPayload
UPDATE outbox_jobs SET payload = CAST(?2 AS TEXT) WHERE id = ?1;

-- name: InsertErasure
INSERT INTO erasures (institution, contact_number, actor, reason, erased_at, rewritten)
VALUES (?1, ?2, ?3, ?4, ?5, CAST(?6 AS TEXT));

-- name: ListErasures
SELECT institution, contact_number, actor, reason, erased_at, rewritten
FROM erasures WHERE institution = ?1 AND kind = 'erasure' ORDER BY id DESC;
