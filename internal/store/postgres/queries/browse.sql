-- name: BrowseBound
-- The document browser's reads (internal/store/browse.go decides).
-- A range is $1 institution, $2 stream, $3 external id (the *One forms),
-- and ($4, $5) <= (received_at, id) < ($6, $7): one lower and one upper
-- bound, read newest first. documents_received (institution, stream,
-- received_at) serves the range and the order (an incremental sort on id
-- among equal times); the *One forms read the document's few versions
-- through its unique key.
SELECT received_at, id FROM documents
WHERE institution = $1 AND stream = $2 AND $3 = ''
  AND received_at >= $4 AND (received_at > $4 OR id >= $5)
  AND received_at <= $6 AND (received_at < $6 OR id < $7)
ORDER BY received_at DESC, id DESC
LIMIT 1 OFFSET $8;

-- name: BrowseBoundOne
SELECT received_at, id FROM documents
WHERE institution = $1 AND stream = $2 AND external_id = $3
  AND received_at >= $4 AND (received_at > $4 OR id >= $5)
  AND received_at <= $6 AND (received_at < $6 OR id < $7)
ORDER BY received_at DESC, id DESC
LIMIT 1 OFFSET $8;

-- name: BrowseList
-- The match: when $8, the value at path $9 equals the JSON scalar $10
-- (jsonb equality: type-aware, numbers by value).
SELECT d.received_at, d.id, d.external_id, d.version, h.document_id IS NOT NULL, d.content_hash, octet_length(d.body::text)::bigint
FROM documents d
LEFT JOIN document_heads h ON h.institution = d.institution AND h.stream = d.stream AND h.external_id = d.external_id AND h.document_id = d.id
WHERE d.institution = $1 AND d.stream = $2 AND $3 = ''
  AND d.received_at >= $4 AND (d.received_at > $4 OR d.id >= $5)
  AND d.received_at <= $6 AND (d.received_at < $6 OR d.id < $7)
  AND (NOT $8::boolean OR d.body #> $9::text[] = $10::text::jsonb)
ORDER BY d.received_at DESC, d.id DESC
LIMIT $11;

-- name: BrowseListOne
SELECT d.received_at, d.id, d.external_id, d.version, h.document_id IS NOT NULL, d.content_hash, octet_length(d.body::text)::bigint
FROM documents d
LEFT JOIN document_heads h ON h.institution = d.institution AND h.stream = d.stream AND h.external_id = d.external_id AND h.document_id = d.id
WHERE d.institution = $1 AND d.stream = $2 AND d.external_id = $3
  AND d.received_at >= $4 AND (d.received_at > $4 OR d.id >= $5)
  AND d.received_at <= $6 AND (d.received_at < $6 OR d.id < $7)
  AND (NOT $8::boolean OR d.body #> $9::text[] = $10::text::jsonb)
ORDER BY d.received_at DESC, d.id DESC
LIMIT $11;

-- name: BrowseListIndexed
-- BrowseList over an index on one path (pathindex.go): the stream
-- ('/*stream*/') and the path's hash ('/*hash*/', the index's expression)
-- are literals, so that the planner proves the index's predicate and
-- matches its expression, and reads one value's versions newest first,
-- stopping at the limit. The value itself is compared after the hash:
-- jsonb equality, as in BrowseList. $8 is the value's JSON text.
SELECT d.received_at, d.id, d.external_id, d.version, h.document_id IS NOT NULL, d.content_hash, octet_length(d.body::text)::bigint
FROM documents d
LEFT JOIN document_heads h ON h.institution = d.institution AND h.stream = d.stream AND h.external_id = d.external_id AND h.document_id = d.id
WHERE d.institution = $1 AND d.stream = /*stream*/ AND $2::text = d.stream AND $3 = ''
  AND d.received_at >= $4 AND (d.received_at > $4 OR d.id >= $5)
  AND d.received_at <= $6 AND (d.received_at < $6 OR d.id < $7)
  AND /*hash*/ = jsonb_hash_extended($8::text::jsonb, 0)
  AND d.body #> /*path*/ = $8::text::jsonb
ORDER BY d.received_at DESC, d.id DESC
LIMIT $9;

-- name: BrowseQuarantined
-- Pending quarantine entries of a range ($3 '' for every external id).
SELECT received_at, id, external_id, 0, false, content_hash, octet_length(body)::bigint
FROM quarantine
WHERE institution = $1 AND stream = $2 AND ($3 = '' OR external_id = $3) AND released_at IS NULL
  AND received_at >= $4 AND (received_at > $4 OR id >= $5)
  AND received_at <= $6 AND (received_at < $6 OR id < $7)
ORDER BY received_at DESC, id DESC
LIMIT $8;

-- name: BrowseVersions
SELECT d.received_at, d.id, d.external_id, d.version, h.document_id IS NOT NULL, d.content_hash, octet_length(d.body::text)::bigint
FROM documents d
LEFT JOIN document_heads h ON h.institution = d.institution AND h.stream = d.stream AND h.external_id = d.external_id AND h.document_id = d.id
WHERE d.institution = $1 AND d.stream = $2 AND d.external_id = $3
ORDER BY d.version DESC
LIMIT $4;

-- name: BrowseBody
SELECT body::text FROM documents
WHERE institution = $1 AND stream = $2 AND external_id = $3 AND version = $4;
