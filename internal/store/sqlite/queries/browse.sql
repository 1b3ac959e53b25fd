-- name: BrowseBound
-- The document browser's reads (internal/store/browse.go decides).
-- A range is ?1 institution, ?2 stream, ?3 external id (the *One forms),
-- and (?4, ?5) <= (received_at, id) < (?6, ?7): one lower and one upper
-- bound, read newest first in the order of documents_received
-- (institution, stream, received_at, and the rowid id after it), which
-- serves both the order and the range.
-- stream is CAST(? AS TEXT) as in documents.go: a bare parameter makes
-- SQLite prepare again at each run for migration 005's partial index.
-- In the *One forms, received_at is written +received_at, in the range
-- and the order: kept off documents_received, so that the planner reads
-- the document's few versions through its unique key and sorts them,
-- rather than the stream's whole range in time order.
SELECT received_at, id FROM documents
WHERE institution = ?1 AND stream = CAST(?2 AS TEXT) AND ?3 = ''
  AND received_at >= ?4 AND (received_at > ?4 OR id >= ?5)
  AND received_at <= ?6 AND (received_at < ?6 OR id < ?7)
ORDER BY received_at DESC, id DESC
LIMIT 1 OFFSET ?8;

-- name: BrowseBoundOne
SELECT received_at, id FROM documents
WHERE institution = ?1 AND stream = CAST(?2 AS TEXT) AND external_id = ?3
  AND +received_at >= ?4 AND (received_at > ?4 OR id >= ?5)
  AND +received_at <= ?6 AND (received_at < ?6 OR id < ?7)
ORDER BY +received_at DESC, id DESC
LIMIT 1 OFFSET ?8;

-- name: BrowseList
-- The match: when ?8 is 1, the value at path ?9 is of JSON type ?10
-- ('text', 'number', 'true', 'false' or 'null') and equals ?11 (text) or
-- ?12 (number).
SELECT d.received_at, d.id, d.external_id, d.version, h.document_id IS NOT NULL, d.content_hash, length(CAST(d.body AS BLOB))
FROM documents d
LEFT JOIN document_heads h ON h.institution = d.institution AND h.stream = d.stream AND h.external_id = d.external_id AND h.document_id = d.id
WHERE d.institution = ?1 AND d.stream = CAST(?2 AS TEXT) AND ?3 = ''
  AND d.received_at >= ?4 AND (d.received_at > ?4 OR d.id >= ?5)
  AND d.received_at <= ?6 AND (d.received_at < ?6 OR d.id < ?7)
  AND (?8 = 0 OR CASE ?10
    WHEN 'text' THEN json_type(d.body, ?9) = 'text' AND json_extract(d.body, ?9) = ?11
    WHEN 'number' THEN json_type(d.body, ?9) IN ('integer', 'real') AND json_extract(d.body, ?9) = ?12
    ELSE json_type(d.body, ?9) = ?10 END)
ORDER BY d.received_at DESC, d.id DESC
LIMIT ?13;

-- name: BrowseListOne
SELECT d.received_at, d.id, d.external_id, d.version, h.document_id IS NOT NULL, d.content_hash, length(CAST(d.body AS BLOB))
FROM documents d
LEFT JOIN document_heads h ON h.institution = d.institution AND h.stream = d.stream AND h.external_id = d.external_id AND h.document_id = d.id
WHERE d.institution = ?1 AND d.stream = CAST(?2 AS TEXT) AND d.external_id = ?3
  AND +d.received_at >= ?4 AND (d.received_at > ?4 OR d.id >= ?5)
  AND +d.received_at <= ?6 AND (d.received_at < ?6 OR d.id < ?7)
  AND (?8 = 0 OR CASE ?10
    WHEN 'text' THEN json_type(d.body, ?9) = 'text' AND json_extract(d.body, ?9) = ?11
    WHEN 'number' THEN json_type(d.body, ?9) IN ('integer', 'real') AND json_extract(d.body, ?9) = ?12
    ELSE json_type(d.body, ?9) = ?10 END)
ORDER BY +d.received_at DESC, d.id DESC
LIMIT ?13;

-- name: BrowseListIndexed
-- BrowseList over an index on one path (pathindex.go): the stream
-- ('/*stream*/') and the indexed expression ('/*value*/', the value at
-- the path) are literals, so that the planner proves the index's
-- predicate and matches its expression, and reads one value's versions
-- newest first, stopping at the limit. The match is BrowseList's: the
-- value IS ?8 (json_extract's SQL value: the text, the number, 1 for
-- true, 0 for false, NULL for null) and its JSON type is ?9, which the
-- SQL value alone loses (the string "1" is not the number 1, nor true).
SELECT d.received_at, d.id, d.external_id, d.version, h.document_id IS NOT NULL, d.content_hash, length(CAST(d.body AS BLOB))
FROM documents d
LEFT JOIN document_heads h ON h.institution = d.institution AND h.stream = d.stream AND h.external_id = d.external_id AND h.document_id = d.id
WHERE d.institution = ?1 AND d.stream = /*stream*/ AND CAST(?2 AS TEXT) = d.stream AND ?3 = ''
  AND d.received_at >= ?4 AND (d.received_at > ?4 OR d.id >= ?5)
  AND d.received_at <= ?6 AND (d.received_at < ?6 OR d.id < ?7)
  AND /*value*/ IS ?8
  AND CASE ?9 WHEN 'number' THEN json_type(d.body, /*path*/) IN ('integer', 'real')
    ELSE json_type(d.body, /*path*/) = ?9 END
ORDER BY d.received_at DESC, d.id DESC
LIMIT ?10;

-- name: PathIndexes
-- usher's indexes on document paths (pathindex.go), by their prefix ?1.
SELECT name FROM sqlite_schema
WHERE type = 'index' AND tbl_name = 'documents' AND substr(name, 1, length(?1)) = ?1
ORDER BY name;

-- name: BrowseQuarantined
-- Pending quarantine entries of a range (?3 '' for every external id);
-- quarantine_by_institution narrows to the institution's stream.
SELECT received_at, id, external_id, 0, 0, content_hash, length(body)
FROM quarantine
WHERE institution = ?1 AND stream = ?2 AND (?3 = '' OR external_id = ?3) AND released_at IS NULL
  AND received_at >= ?4 AND (received_at > ?4 OR id >= ?5)
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
