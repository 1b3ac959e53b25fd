-- Statements of the documents area (documents.go). The ingest statements
-- themselves are documents_batch.go's, with the reasons of their shape.

-- name: TicketCheckHashes
SELECT ticket_check_id, content_hash FROM ticket_checks
WHERE institution = $1 AND ticket_check_id = ANY($2::bigint[]);

-- name: ListTicketChecks
SELECT ticket_check_id::text, 1, content_hash, body::text, access_time AT TIME ZONE 'UTC', received_at
FROM ticket_checks WHERE institution = $1
ORDER BY access_time DESC, ticket_check_id DESC LIMIT $2;

-- name: ListTicketChecksOf
SELECT ticket_check_id::text, 1, content_hash, body::text, access_time AT TIME ZONE 'UTC', received_at
FROM ticket_checks WHERE institution = $1 AND ticket_check_id::text = $3
ORDER BY access_time DESC, ticket_check_id DESC LIMIT $2;

-- name: ListHeads
SELECT d.external_id, d.version, d.content_hash, d.body::text, d.upstream_updated_at, d.received_at
FROM documents d JOIN document_heads h ON h.document_id = d.id
WHERE d.institution = $1 AND d.stream = $2
ORDER BY d.id DESC LIMIT $3;

-- name: ListHeadsOf
SELECT d.external_id, d.version, d.content_hash, d.body::text, d.upstream_updated_at, d.received_at
FROM documents d JOIN document_heads h ON h.document_id = d.id
WHERE d.institution = $1 AND d.stream = $2 AND d.external_id = $4
ORDER BY d.id DESC LIMIT $3;

-- name: ListVersions
SELECT d.external_id, d.version, d.content_hash, d.body::text, d.upstream_updated_at, d.received_at
FROM documents d
WHERE d.institution = $1 AND d.stream = $2
ORDER BY d.id DESC LIMIT $3;

-- name: ListVersionsOf
SELECT d.external_id, d.version, d.content_hash, d.body::text, d.upstream_updated_at, d.received_at
FROM documents d
WHERE d.institution = $1 AND d.stream = $2 AND d.external_id = $4
ORDER BY d.id DESC LIMIT $3;
