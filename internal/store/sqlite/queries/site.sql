-- name: SessionsOfDay
-- Finds a day's sessions through the expression index of migration 005
-- (the day inside each stored session), so no stored JSON is parsed to
-- filter, and keeps current versions only. The stream names are literals
-- so that SQLite can prove the partial index applies; INDEXED BY and CROSS
-- JOIN make it start from that day's sessions even before ANALYZE has run,
-- rather than from every current session.
SELECT d.external_id, d.version, d.content_hash, d.body, d.received_at,
	p.version, p.content_hash, p.body, p.received_at
FROM documents d INDEXED BY documents_centaman_session_day
CROSS JOIN document_heads h ON h.institution = d.institution AND h.stream = d.stream
	AND h.external_id = d.external_id AND h.document_id = d.id
LEFT JOIN document_heads ph ON ph.institution = d.institution AND ph.stream = 'centaman.timed_ticket'
	AND ph.external_id = d.external_id
LEFT JOIN documents p ON p.id = ph.document_id
WHERE d.institution = ? AND d.stream = 'centaman.timed_ticket_type'
	AND substr(json_extract(d.body, '$.StartDate'), 1, 10) = ?
ORDER BY json_extract(d.body, '$.StartTime'), CAST(d.external_id AS INTEGER);

-- name: PointHeadAtContent
UPDATE document_heads SET document_id = d.id, version = d.version
FROM documents d
WHERE document_heads.institution = ? AND document_heads.stream = ? AND document_heads.external_id = ?
	AND d.institution = document_heads.institution AND d.stream = document_heads.stream
	AND d.external_id = document_heads.external_id AND d.content_hash = ?
	AND document_heads.document_id <> d.id;

-- name: SyncRecordForUpdate
-- The single writer serializes the transaction: no lock to take.
SELECT institution, stream, last_attempt_at, last_success_at, last_error, documents
FROM site_sync_state WHERE institution = ? AND stream = ?;

-- name: InsertSyncRecordIfAbsent
INSERT INTO site_sync_state (institution, stream, last_attempt_at, last_success_at, last_error, documents)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (institution, stream) DO NOTHING;

-- name: UpdateSyncRecord
UPDATE site_sync_state SET last_attempt_at = ?3, last_success_at = ?4, last_error = ?5, documents = ?6
WHERE institution = ?1 AND stream = ?2;

-- name: SyncRecordsOf
SELECT institution, stream, last_attempt_at, last_success_at, last_error, documents
FROM site_sync_state WHERE institution = ? ORDER BY stream;

-- name: InsertHoldUnlessActive
-- The target is the partial unique index site_holds_one_active.
INSERT INTO site_holds (id, institution, visitor, event_id, event_date, lines, status,
	expires_at, upstream_expires_at, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (institution, visitor, event_id) WHERE status = 'active' DO NOTHING;

-- name: UpdateHoldRow
UPDATE site_holds SET lines = ?, status = ?, expires_at = ?, upstream_expires_at = ?, updated_at = ?
WHERE institution = ? AND id = ?;

-- name: HoldByID
SELECT id, institution, visitor, event_id, event_date, lines, status, expires_at, upstream_expires_at, created_at, updated_at
FROM site_holds WHERE institution = ? AND id = ?;

-- name: ActiveHoldsOf
-- 'active' is a literal: site_holds_one_active is defined on it.
SELECT id, institution, visitor, event_id, event_date, lines, status, expires_at, upstream_expires_at, created_at, updated_at
FROM site_holds WHERE institution = ? AND visitor = ? AND event_id = ? AND status = 'active';

-- name: ActiveHoldsExpiringBy
-- 'active' is a literal: site_holds_expiry is defined on it.
SELECT id, institution, visitor, event_id, event_date, lines, status, expires_at, upstream_expires_at, created_at, updated_at
FROM site_holds WHERE status = 'active' AND expires_at <= ? ORDER BY expires_at LIMIT ?;

-- name: InsertCheckoutIfAbsent
INSERT INTO site_checkouts (institution, id, request_hash, hold_id, payment_reference, email, state, attempts,
	lease_until, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (institution, id) DO NOTHING;

-- name: CheckoutForUpdate
-- The single writer serializes the transaction: no lock to take.
SELECT institution, id, request_hash, hold_id, payment_reference, email, state, attempts,
	lease_until, booking_id, result, error_code, error, email_sent_at, created_at, updated_at
FROM site_checkouts WHERE institution = ? AND id = ?;

-- name: CheckoutByID
SELECT institution, id, request_hash, hold_id, payment_reference, email, state, attempts,
	lease_until, booking_id, result, error_code, error, email_sent_at, created_at, updated_at
FROM site_checkouts WHERE institution = ? AND id = ?;

-- name: UpdateCheckoutLease
UPDATE site_checkouts SET state = ?, attempts = ?, lease_until = ?, updated_at = ?
WHERE institution = ? AND id = ?;

-- name: UpdateCheckoutOutcome
UPDATE site_checkouts SET state = ?, lease_until = ?, booking_id = ?, result = ?, error_code = ?, error = ?, updated_at = ?
WHERE institution = ? AND id = ?;

-- name: SetCheckoutEmailedAt
UPDATE site_checkouts SET email_sent_at = ? WHERE institution = ? AND id = ?;

-- name: DoneCheckoutsUnemailed
-- 'done' is a literal: site_checkouts_unsent is defined on it.
SELECT institution, id, request_hash, hold_id, payment_reference, email, state, attempts,
	lease_until, booking_id, result, error_code, error, email_sent_at, created_at, updated_at
FROM site_checkouts WHERE state = 'done' AND email_sent_at IS NULL ORDER BY created_at LIMIT ?;

-- name: CheckoutsInStateOf
SELECT institution, id, request_hash, hold_id, payment_reference, email, state, attempts,
	lease_until, booking_id, result, error_code, error, email_sent_at, created_at, updated_at
FROM site_checkouts WHERE institution = ? AND state = ? ORDER BY created_at LIMIT ?;

-- name: PutMemberLink
INSERT INTO site_member_links (institution, identity, member_code, email, linked_at)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (institution, identity) DO UPDATE SET
	member_code = excluded.member_code, email = excluded.email, linked_at = excluded.linked_at;

-- name: MemberLinkOf
SELECT institution, identity, member_code, email, linked_at
FROM site_member_links WHERE institution = ? AND identity = ?;

-- name: MemberCodesLinked
SELECT DISTINCT member_code FROM site_member_links WHERE institution = ? ORDER BY member_code;

-- name: InsertMemberSession
INSERT INTO site_member_sessions (token_hash, institution, identity, member_code, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?);

-- name: MemberSessionByToken
SELECT token_hash, institution, identity, member_code, created_at, expires_at
FROM site_member_sessions WHERE token_hash = ?;

-- name: MemberSessionsExpiringAfter
SELECT EXISTS (SELECT 1 FROM site_member_sessions WHERE institution = ? AND expires_at > ?);

-- name: DeleteMemberSession
DELETE FROM site_member_sessions WHERE token_hash = ?;

-- name: DeleteMemberSessionsOf
DELETE FROM site_member_sessions WHERE institution = ?;
