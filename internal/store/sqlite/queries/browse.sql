-- The document browser's reads (internal/store/browse.go decides).
-- A range is ?1 institution, ?2 stream, ?3 external id (the *One forms),
-- ?4 ≤ received_at < ?5, and (received_at, id) < (?6, ?7): newest first,
-- in the order of documents_received (institution, stream, received_at,
-- and the rowid id after it), which serves both the order and the range.
-- stream is CAST(? AS TEXT) as in documents.go: a bare parameter makes
-- SQLite prepare again at each run for migration 005's partial index.
-- In the *One forms, received_at is written +received_at, in the range
-- and the order: kept off documents_received, so that the planner reads
-- the document's few versions through its unique key and sorts them,
-- rather than the stream's whole range in time order.

-- name: BrowseBound
SELECT received_at, id FROM documents
WHERE institution = ?1 AND stream = CAST(?2 AS TEXT) AND ?3 = ''
  AND received_at >= ?4 AND received_at < ?5
  AND received_at <= ?6 AND (received_at < ?6 OR id < ?7)
ORDER BY received_at DESC, id DESC
LIMIT 1 OFFSET ?8;

-- name: BrowseBoundOne
SELECT received_at, id FROM documents
WHERE institution = ?1 AND stream = CAST(?2 AS TEXT) AND external_id = ?3
  AND +received_at >= ?4 AND +received_at < ?5
  AND +received_at <= ?6 AND (received_at < ?6 OR id < ?7)
ORDER BY +received_at DESC, id DESC
LIMIT 1 OFFSET ?8;

-- The match: ?8 ≤ (received_at, id) (the scan's floor); when ?9 is 1,
-- the value at path ?10 is of JSON type ?11 ('text', 'number', 'true',
-- 'false' or 'null') and equals ?12 (text) or ?13 (number).

-- name: BrowseList
SELECT d.received_at, d.id, d.external_id, d.version, h.document_id IS NOT NULL, d.content_hash, length(CAST(d.body AS BLOB))
FROM documents d
LEFT JOIN document_heads h ON h.institution = d.institution AND h.stream = d.stream AND h.external_id = d.external_id AND h.document_id = d.id
WHERE d.institution = ?1 AND d.stream = CAST(?2 AS TEXT) AND ?3 = ''
  AND d.received_at >= ?4 AND d.received_at < ?5
  AND d.received_at <= ?6 AND (d.received_at < ?6 OR d.id < ?7)
  AND d.received_at >= ?8 AND (d.received_at > ?8 OR d.id >= ?14)
  AND (?9 = 0 OR CASE ?11
    WHEN 'text' THEN json_type(d.body, ?10) = 'text' AND json_extract(d.body, ?10) = ?12
    WHEN 'number' THEN json_type(d.body, ?10) IN ('integer', 'real') AND json_extract(d.body, ?10) = ?13
    ELSE json_type(d.body, ?10) = ?11 END)
ORDER BY d.received_at DESC, d.id DESC
LIMIT ?15;

-- name: BrowseListOne
SELECT d.received_at, d.id, d.external_id, d.version, h.document_id IS NOT NULL, d.content_hash, length(CAST(d.body AS BLOB))
FROM documents d
LEFT JOIN document_heads h ON h.institution = d.institution AND h.stream = d.stream AND h.external_id = d.external_id AND h.document_id = d.id
WHERE d.institution = ?1 AND d.stream = CAST(?2 AS TEXT) AND d.external_id = ?3
  AND +d.received_at >= ?4 AND +d.received_at < ?5
  AND +d.received_at <= ?6 AND (d.received_at < ?6 OR d.id < ?7)
  AND +d.received_at >= ?8 AND (d.received_at > ?8 OR d.id >= ?14)
  AND (?9 = 0 OR CASE ?11
    WHEN 'text' THEN json_type(d.body, ?10) = 'text' AND json_extract(d.body, ?10) = ?12
    WHEN 'number' THEN json_type(d.body, ?10) IN ('integer', 'real') AND json_extract(d.body, ?10) = ?13
    ELSE json_type(d.body, ?10) = ?11 END)
ORDER BY +d.received_at DESC, d.id DESC
LIMIT ?15;

-- Pending quarantine entries of a range (?3 '' for every external id);
-- quarantine_by_institution narrows to the institution's stream.

-- name: BrowseQuarantined
SELECT received_at, id, external_id, 0, 0, content_hash, length(body)
FROM quarantine
WHERE institution = ?1 AND stream = ?2 AND (?3 = '' OR external_id = ?3) AND released_at IS NULL
  AND received_at >= ?4 AND received_at < ?5
  AND received_at <= ?6 AND (received_at < ?6 OR id < ?7)
ORDER BY received_at DESC, id DESC
LIMIT ?8;

-- name: BrowseVersions
SELECT d.received_at, d.id, d.external_id, d.version, h.document_id IS NOT NULL, d.content_hash, length(CAST(d.body AS BLOB))
FROM documents d
LEFT JOIN document_heads h ON h.institution = d.institution AND h.stream = d.stream AND h.external_id = d.external_id AND h.document_id = d.id
WHERE d.institution = ?1 AND d.stream = CAST(?2 AS TEXT) AND d.external_id = ?3
ORDER BY d.version DESC
LIMIT ?4;

-- name: BrowseBody
SELECT body FROM documents
WHERE institution = ?1 AND stream = CAST(?2 AS TEXT) AND external_id = ?3 AND version = ?4;
