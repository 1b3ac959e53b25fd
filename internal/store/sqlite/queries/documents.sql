-- Statements of the documents area (documents.go, versions.go).

-- name: InsertTicketCheck
INSERT INTO ticket_checks
	(institution, ticket_check_id, movement_id, ticket_id, barcode, access_time, check_flow, result, failure_reason, content_hash, body, received_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (institution, ticket_check_id) DO NOTHING;

-- name: QueueAnalytics
-- The fourth parameter lists the stored ids, queued in the order they were stored.
INSERT INTO analytics_pending (institution, kind, ref, queued_at)
SELECT ?1, ?2, value, ?3 FROM json_each(?4) ORDER BY key;

-- name: InsertVersions
-- Stores new versions of a payload's contacts and orders (and the site's
-- copies), one row per element of the first parameter, numbering each
-- after its id's highest version. It holds [institution, stream, external id, content
-- hash, upstream time, body offset, body length] per document; the second
-- is every body, end to end, as a BLOB, so that a body is cut out by its
-- byte offset and kept byte for byte. A retried version meets the
-- content-hash index and returns nothing.
INSERT INTO documents (institution, stream, external_id, version, content_hash, body, upstream_updated_at, received_at)
SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2,
	coalesce((SELECT max(v.version) FROM documents v
		WHERE v.institution = j.value ->> 0 AND v.stream = j.value ->> 1 AND v.external_id = j.value ->> 2), 0) + 1,
	j.value ->> 3, CAST(substr(?2, j.value ->> 5, j.value ->> 6) AS TEXT), j.value ->> 4, ?3
FROM json_each(?1) j
WHERE true
ON CONFLICT (institution, stream, external_id, content_hash) DO NOTHING
RETURNING id, institution, stream, external_id, version, upstream_updated_at;

-- name: MoveHeads
-- Makes the versions of the parameter ([document id, institution, stream, external
-- id, version, upstream time] each) current where they are not older in
-- upstream time than the head, and returns the ones it made current.
-- The head moves only forward in upstream time, so a late retry of an
-- old version is stored in history without becoming current (and is not
-- delivered: the CRM must not go back to it).
INSERT INTO document_heads (institution, stream, external_id, document_id, version, upstream_updated_at)
SELECT j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 0, j.value ->> 4, j.value ->> 5
FROM json_each(?1) j
WHERE true
ON CONFLICT (institution, stream, external_id) DO UPDATE SET
	document_id = excluded.document_id,
	version = excluded.version,
	upstream_updated_at = excluded.upstream_updated_at
WHERE excluded.upstream_updated_at IS NULL
	OR document_heads.upstream_updated_at IS NULL
	OR excluded.upstream_updated_at >= document_heads.upstream_updated_at
RETURNING institution, stream, external_id;

-- name: TicketCheckHashes
SELECT ticket_check_id, content_hash FROM ticket_checks
WHERE institution = ? AND ticket_check_id IN (SELECT value FROM json_each(?));

-- name: ListTicketChecks
SELECT CAST(ticket_check_id AS TEXT), 1, content_hash, body, access_time, received_at
FROM ticket_checks WHERE institution = ?1
ORDER BY access_time DESC, ticket_check_id DESC LIMIT ?2;

-- name: ListTicketChecksOf
SELECT CAST(ticket_check_id AS TEXT), 1, content_hash, body, access_time, received_at
FROM ticket_checks WHERE institution = ?1 AND ticket_check_id = ?3
ORDER BY access_time DESC, ticket_check_id DESC LIMIT ?2;

-- name: ListHeads
SELECT d.external_id, d.version, d.content_hash, d.body, d.upstream_updated_at, d.received_at
FROM documents d JOIN document_heads h ON h.document_id = d.id
WHERE d.institution = ?1 AND d.stream = ?2
ORDER BY d.id DESC LIMIT ?3;

-- name: ListHeadsOf
SELECT d.external_id, d.version, d.content_hash, d.body, d.upstream_updated_at, d.received_at
FROM documents d JOIN document_heads h ON h.document_id = d.id
WHERE d.institution = ?1 AND d.stream = ?2 AND d.external_id = ?4
ORDER BY d.id DESC LIMIT ?3;

-- name: ListVersions
SELECT d.external_id, d.version, d.content_hash, d.body, d.upstream_updated_at, d.received_at
FROM documents d
WHERE d.institution = ?1 AND d.stream = ?2
ORDER BY d.id DESC LIMIT ?3;

-- name: ListVersionsOf
SELECT d.external_id, d.version, d.content_hash, d.body, d.upstream_updated_at, d.received_at
FROM documents d
WHERE d.institution = ?1 AND d.stream = ?2 AND d.external_id = ?4
ORDER BY d.id DESC LIMIT ?3;
