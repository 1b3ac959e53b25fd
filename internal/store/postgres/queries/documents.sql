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

-- name: SaveChecks
-- (documents_batch.go says why this shape)
WITH ins AS (
	INSERT INTO ticket_checks
		(institution, ticket_check_id, movement_id, ticket_id, barcode, access_time, check_flow, result, failure_reason, content_hash, body, received_at)
	SELECT c.institution, c.id, c.movement, c.ticket, c.barcode, c.access, c.flow, c.result, c.reason, c.hash, c.body::jsonb, c.received
	FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::timestamp[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::timestamptz[])
		WITH ORDINALITY AS c(institution, id, movement, ticket, barcode, access, flow, result, reason, hash, body, received, ord)
	ORDER BY c.ord
	ON CONFLICT (institution, ticket_check_id) DO NOTHING
	RETURNING institution, ticket_check_id
), queued AS (
	INSERT INTO analytics_pending (institution, kind, ids)
	SELECT institution, 'checks', array_agg(ticket_check_id) FROM ins GROUP BY institution
)
SELECT institution, ticket_check_id FROM ins;

-- name: SaveChecksNew
-- SaveChecks when no check of the group can be stored already
-- (documents_batch.go, "optimistic"): a plain insert, without the
-- speculative insertion ON CONFLICT costs for every row (about a fifth of
-- a check's insert, measured), or the rows RETURNING sends back; a check
-- stored already fails the statement with a unique violation and the
-- group is stored again with SaveChecks. The analytics queue entry is
-- built from the parameters: every check is new.
INSERT INTO ticket_checks
	(institution, ticket_check_id, movement_id, ticket_id, barcode, access_time, check_flow, result, failure_reason, content_hash, body, received_at)
SELECT c.institution, c.id, c.movement, c.ticket, c.barcode, c.access, c.flow, c.result, c.reason, c.hash, c.body::jsonb, c.received
FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::timestamp[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::timestamptz[])
	AS c(institution, id, movement, ticket, barcode, access, flow, result, reason, hash, body, received);

-- name: QueueNewChecks
-- The analytics queue entries of SaveChecksNew's checks, one per institution.
INSERT INTO analytics_pending (institution, kind, ids)
SELECT c.institution, 'checks', array_agg(c.id)
FROM unnest($1::text[], $2::bigint[]) AS c(institution, id)
GROUP BY c.institution;

-- name: SaveVersions
-- (documents_batch.go says why this shape)
WITH ins AS (
	INSERT INTO documents (institution, stream, external_id, version, content_hash, body, upstream_updated_at, received_at)
	SELECT d.institution, d.stream, d.external_id,
		CASE WHEN (SELECT true FROM document_heads h
				WHERE h.institution = d.institution AND h.stream = d.stream AND h.external_id = d.external_id)
			THEN (SELECT v.version FROM documents v
				WHERE (v.institution, v.stream, v.external_id, v.version) > (d.institution, d.stream, d.external_id, 0)
					AND (v.institution, v.stream, v.external_id, v.version) <= (d.institution, d.stream, d.external_id, 2147483647)
				ORDER BY v.institution DESC, v.stream DESC, v.external_id DESC, v.version DESC LIMIT 1) + 1
			ELSE 1 END,
		d.hash, d.body::jsonb, d.upstream, d.received
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[])
		WITH ORDINALITY AS d(institution, stream, external_id, hash, body, upstream, received, ord)
	ORDER BY d.ord
	ON CONFLICT (institution, stream, external_id, content_hash) DO NOTHING
	RETURNING id, institution, stream, external_id, version, upstream_updated_at
), head AS (
	INSERT INTO document_heads (institution, stream, external_id, document_id, version, upstream_updated_at)
	SELECT institution, stream, external_id, id, version, upstream_updated_at FROM ins
	ON CONFLICT (institution, stream, external_id) DO UPDATE SET
		document_id = excluded.document_id,
		version = excluded.version,
		upstream_updated_at = excluded.upstream_updated_at
	WHERE excluded.upstream_updated_at IS NULL
		OR document_heads.upstream_updated_at IS NULL
		OR excluded.upstream_updated_at >= document_heads.upstream_updated_at
	RETURNING document_id, version
), queued AS (
	-- ids ascending: pruning takes an entry's first id as its least
	-- (migration 012).
	INSERT INTO analytics_pending (institution, kind, ids)
	SELECT institution, stream, array_agg(id ORDER BY id) FROM ins WHERE stream = 'contacts' GROUP BY institution, stream
	UNION ALL
	SELECT institution, stream, ARRAY[id] FROM ins WHERE stream = 'orders'
)
SELECT ins.institution, ins.stream, ins.external_id, coalesce(head.version, 0)
FROM ins LEFT JOIN head ON head.document_id = ins.id;
