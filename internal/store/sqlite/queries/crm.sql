-- Statements of the crm area (crm.go).

-- name: DocumentVersion
-- stream is compared as a parameter CAST AS TEXT, not a bare one:
-- against a bare parameter SQLite checks at each execution whether the
-- partial index of migration 005 (stream = 'centaman.timed_ticket_type')
-- applies, which makes it prepare the statement again every time.
SELECT d.content_hash, d.body, d.upstream_updated_at, d.received_at,
	coalesce((SELECT h.version FROM document_heads h
		WHERE h.institution = d.institution AND h.stream = d.stream AND h.external_id = d.external_id), 0)
FROM documents d
WHERE d.institution = ? AND d.stream = CAST(? AS TEXT) AND d.external_id = ? AND d.version = ?;

-- name: ContactSyncState
-- The fourth parameter lists the order keys of the contact's deliveries.
SELECT
	coalesce((SELECT version FROM document_heads WHERE institution = ?1 AND stream = ?2 AND external_id = ?3), 0),
	(SELECT count(*) FROM outbox_jobs
		WHERE institution = ?1 AND order_key IN (SELECT value FROM json_each(?4)) AND state IN ('queued', 'inflight'));

-- name: MarkedContacts
SELECT DISTINCT institution, contact_number FROM crm_echo_marks
WHERE contact_number IN (SELECT value FROM json_each(?1)) AND outcome = 'pending' AND expires_at > ?2;

-- name: PendingEchoMarks
SELECT id, base_version, sent FROM crm_echo_marks
WHERE institution = ? AND contact_number = ? AND outcome = 'pending' AND expires_at > ?
ORDER BY id;

-- name: CountSuppressedEchoes
SELECT count(*) FROM crm_echo_marks
WHERE institution = ? AND contact_number = ? AND outcome = 'suppressed' AND echo_version > ? AND echo_version < ?;

-- name: SuppressEcho
UPDATE crm_echo_marks SET outcome = 'suppressed', echo_version = ? WHERE id = ?;

-- name: ConflictEchoes
UPDATE crm_echo_marks SET outcome = 'conflict'
WHERE institution = ? AND contact_number = ? AND outcome = 'pending' AND expires_at > ?;

-- name: EnqueueDelivery
INSERT INTO outbox_jobs
	(tracking_id, institution, kind, order_key, idempotency_key, payload, state, max_attempts, run_at, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', ?7, ?8, ?8, ?8)
ON CONFLICT (institution, kind, idempotency_key) DO NOTHING;

-- name: InsertEchoMark
INSERT INTO crm_echo_marks
	(institution, contact_number, sent, base_version, job_id, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (institution, job_id) DO NOTHING;

-- name: CountEchoes
SELECT institution, outcome, count(*) FROM crm_echo_marks
GROUP BY institution, outcome ORDER BY institution, outcome;

-- name: DeleteEchoMarks
DELETE FROM crm_echo_marks WHERE expires_at < ?;
