-- Statements of the erasure area (driver.ErasureVerbs). The writer's
-- single connection serialises an erasure with every other write.

-- name: ContactVersionBodies
SELECT id, stream, body FROM documents
WHERE institution = ?1 AND stream = 'contacts' AND external_id = ?2;

-- name: OrderVersionBodiesNaming
SELECT id, stream, body FROM documents
WHERE institution = ?1 AND stream = 'orders'
  AND coalesce(json_extract(body, '$.orderDetailsData.contactNumber'), json_extract(body, '$.contactNumber')) = ?2;

-- name: QuarantinedBodiesNaming
SELECT id, stream, body FROM quarantine
WHERE institution = ?1 AND stream IN ('contacts', 'orders') AND (external_id = ?2 OR instr(body, ?2) > 0);

-- name: ContactJobs
SELECT id, state, payload FROM outbox_jobs
WHERE institution = ?1 AND kind = ?2 AND json_extract(payload, '$.contact.contactNumber') = ?3;

-- name: RewriteDocumentBody
UPDATE documents SET body = ?2 WHERE id = ?1;

-- name: RewriteQuarantinedBody
UPDATE quarantine SET body = ?2 WHERE id = ?1;

-- name: RewriteJobPayload
UPDATE outbox_jobs SET payload = ?2 WHERE id = ?1;

-- name: InsertErasure
INSERT INTO erasures (institution, contact_number, actor, reason, erased_at, rewritten)
VALUES (?1, ?2, ?3, ?4, ?5, ?6);

-- name: ListErasures
SELECT institution, contact_number, actor, reason, erased_at, rewritten
FROM erasures WHERE institution = ?1 ORDER BY id DESC;
