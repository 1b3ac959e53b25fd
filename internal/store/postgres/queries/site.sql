-- name: SessionsOfDay
-- Finds a day's sessions through the expression index of migration 005
-- (the day inside each stored session), then keeps current versions only.
-- The stream names are literals so that the planner can prove the partial
-- index applies, also with a generic plan.
SELECT d.external_id, d.version, d.content_hash, d.body::text, d.received_at,
	p.version, p.content_hash, p.body::text, p.received_at
FROM documents d
JOIN document_heads h ON h.institution = d.institution AND h.stream = d.stream
	AND h.external_id = d.external_id AND h.document_id = d.id
LEFT JOIN document_heads ph ON ph.institution = d.institution AND ph.stream = 'centaman.timed_ticket'
	AND ph.external_id = d.external_id
LEFT JOIN documents p ON p.id = ph.document_id
WHERE d.institution = $1 AND d.stream = 'centaman.timed_ticket_type'
	AND left(d.body->>'StartDate', 10) = $2
ORDER BY d.body->>'StartTime', d.external_id::bigint;

-- name: PointHeadAtContent
UPDATE document_heads h SET document_id = d.id, version = d.version
FROM documents d
WHERE h.institution = $1 AND h.stream = $2 AND h.external_id = $3
	AND d.institution = h.institution AND d.stream = h.stream AND d.external_id = h.external_id
	AND d.content_hash = $4 AND h.document_id <> d.id;

-- name: SyncRecordForUpdate
SELECT institution, stream, last_attempt_at, last_success_at, last_error, documents
FROM site_sync_state WHERE institution = $1 AND stream = $2 FOR UPDATE;

-- name: InsertSyncRecordIfAbsent
INSERT INTO site_sync_state (institution, stream, last_attempt_at, last_success_at, last_error, documents)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (institution, stream) DO NOTHING;

-- name: UpdateSyncRecord
UPDATE site_sync_state SET last_attempt_at = $3, last_success_at = $4, last_error = $5, documents = $6
WHERE institution = $1 AND stream = $2;

-- name: SyncRecordsOf
SELECT institution, stream, last_attempt_at, last_success_at, last_error, documents
FROM site_sync_state WHERE institution = $1 ORDER BY stream;

-- name: InsertHoldUnlessActive
-- The target is the partial unique index on active holds.
INSERT INTO site_holds (id, institution, visitor, event_id, event_date, lines, status,
	expires_at, upstream_expires_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11)
ON CONFLICT (institution, visitor, event_id) WHERE status = 'active' DO NOTHING;

-- name: UpdateHoldRow
UPDATE site_holds SET lines = $1::jsonb, status = $2, expires_at = $3, upstream_expires_at = $4, updated_at = $5
WHERE institution = $6 AND id = $7;

-- name: HoldByID
SELECT id, institution, visitor, event_id, event_date, lines::text, status, expires_at, upstream_expires_at, created_at, updated_at
FROM site_holds WHERE institution = $1 AND id = $2;

-- name: ActiveHoldsOf
-- 'active' is a literal: the partial index on active holds is defined on it.
SELECT id, institution, visitor, event_id, event_date, lines::text, status, expires_at, upstream_expires_at, created_at, updated_at
FROM site_holds WHERE institution = $1 AND visitor = $2 AND event_id = $3 AND status = 'active';

-- name: ActiveHoldsExpiringBy
-- 'active' is a literal: the expiry index is defined on active holds.
SELECT id, institution, visitor, event_id, event_date, lines::text, status, expires_at, upstream_expires_at, created_at, updated_at
FROM site_holds WHERE status = 'active' AND expires_at <= $1 ORDER BY expires_at LIMIT $2;

-- name: InsertCheckoutIfAbsent
INSERT INTO site_checkouts (institution, id, request_hash, hold_id, payment_reference, email, state, attempts,
	lease_until, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (institution, id) DO NOTHING;

-- name: CheckoutForUpdate
-- The row lock makes two replicas' retries of one checkout take turns.
SELECT institution, id, request_hash, hold_id, payment_reference, email, state, attempts,
	lease_until, booking_id, result::text, error_code, error, email_sent_at, created_at, updated_at
FROM site_checkouts WHERE institution = $1 AND id = $2 FOR UPDATE;

-- name: CheckoutByID
SELECT institution, id, request_hash, hold_id, payment_reference, email, state, attempts,
	lease_until, booking_id, result::text, error_code, error, email_sent_at, created_at, updated_at
FROM site_checkouts WHERE institution = $1 AND id = $2;

-- name: UpdateCheckoutLease
UPDATE site_checkouts SET state = $1, attempts = $2, lease_until = $3, updated_at = $4
WHERE institution = $5 AND id = $6;

-- name: UpdateCheckoutOutcome
UPDATE site_checkouts SET state = $1, lease_until = $2, booking_id = $3, result = $4::jsonb, error_code = $5,
	error = $6, updated_at = $7
WHERE institution = $8 AND id = $9;

-- name: SetCheckoutEmailedAt
UPDATE site_checkouts SET email_sent_at = $1 WHERE institution = $2 AND id = $3;

-- name: DoneCheckoutsUnemailed
-- 'done' is a literal: the index of unsent checkouts is defined on it.
SELECT institution, id, request_hash, hold_id, payment_reference, email, state, attempts,
	lease_until, booking_id, result::text, error_code, error, email_sent_at, created_at, updated_at
FROM site_checkouts WHERE state = 'done' AND email_sent_at IS NULL ORDER BY created_at LIMIT $1;

-- name: CheckoutsInStateOf
SELECT institution, id, request_hash, hold_id, payment_reference, email, state, attempts,
	lease_until, booking_id, result::text, error_code, error, email_sent_at, created_at, updated_at
FROM site_checkouts WHERE institution = $1 AND state = $2 ORDER BY created_at LIMIT $3;

-- name: PutMemberLink
INSERT INTO site_member_links (institution, identity, member_code, email, linked_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (institution, identity) DO UPDATE SET
	member_code = excluded.member_code, email = excluded.email, linked_at = excluded.linked_at;

-- name: MemberLinkOf
SELECT institution, identity, member_code, email, linked_at
FROM site_member_links WHERE institution = $1 AND identity = $2;

-- name: MemberCodesLinked
SELECT DISTINCT member_code FROM site_member_links WHERE institution = $1 ORDER BY member_code;

-- name: InsertMemberSession
INSERT INTO site_member_sessions (token_hash, institution, identity, member_code, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: MemberSessionByToken
SELECT token_hash, institution, identity, member_code, created_at, expires_at
FROM site_member_sessions WHERE token_hash = $1;

-- name: MemberSessionsExpiringAfter
SELECT EXISTS (SELECT 1 FROM site_member_sessions WHERE institution = $1 AND expires_at > $2);

-- name: DeleteMemberSession
DELETE FROM site_member_sessions WHERE token_hash = $1;

-- name: DeleteMemberSessionsOf
DELETE FROM site_member_sessions WHERE institution = $1;
