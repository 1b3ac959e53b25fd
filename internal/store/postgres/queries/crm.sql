-- Statements of the crm area (crm.go).

-- name: DocumentVersion
SELECT d.content_hash, d.body::text, d.upstream_updated_at, d.received_at,
	coalesce((SELECT h.version FROM document_heads h
		WHERE h.institution = d.institution AND h.stream = d.stream AND h.external_id = d.external_id), 0)
FROM documents d
WHERE d.institution = $1 AND d.stream = $2 AND d.external_id = $3 AND d.version = $4;

-- name: ContactSyncState
SELECT
	coalesce((SELECT version FROM document_heads WHERE institution = $1 AND stream = $2 AND external_id = $3), 0),
	(SELECT count(*) FROM outbox_jobs WHERE institution = $1 AND order_key = ANY($4) AND state IN ('queued', 'inflight'));

-- name: MarkedContacts
SELECT DISTINCT institution, contact_number FROM crm_echo_marks
WHERE contact_number = ANY($1) AND outcome = 'pending' AND expires_at > $2;

-- name: PendingEchoMarks
-- Locked, so that two payloads of the same contact settle its marks one
-- after the other.
SELECT id, base_version, sent::text FROM crm_echo_marks
WHERE institution = $1 AND contact_number = $2 AND outcome = 'pending' AND expires_at > $3
ORDER BY id FOR UPDATE;

-- name: CountSuppressedEchoes
SELECT count(*) FROM crm_echo_marks
WHERE institution = $1 AND contact_number = $2 AND outcome = 'suppressed' AND echo_version > $3 AND echo_version < $4;

-- name: SuppressEcho
UPDATE crm_echo_marks SET outcome = 'suppressed', echo_version = $1 WHERE id = $2;

-- name: ConflictEchoes
UPDATE crm_echo_marks SET outcome = 'conflict'
WHERE institution = $1 AND contact_number = $2 AND outcome = 'pending' AND expires_at > $3;

-- name: EnqueueDelivery
INSERT INTO outbox_jobs
	(tracking_id, institution, kind, order_key, idempotency_key, payload, state, max_attempts, run_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, 'queued', $7, $8, $8, $8)
ON CONFLICT (institution, kind, idempotency_key) DO NOTHING;

-- name: InsertEchoMark
INSERT INTO crm_echo_marks
	(institution, contact_number, sent, base_version, job_id, created_at, expires_at)
VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7)
ON CONFLICT (institution, job_id) DO NOTHING;

-- name: CountEchoes
SELECT institution, outcome, count(*) FROM crm_echo_marks
GROUP BY institution, outcome ORDER BY institution, outcome;

-- name: DeleteEchoMarks
DELETE FROM crm_echo_marks WHERE expires_at < $1;
