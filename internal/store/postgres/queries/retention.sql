-- Statements of retention (driver.RetentionVerbs): rows older than a time,
-- with the facts internal/store decides on, read in (received time, id)
-- order after a cursor through the index led by the institution and its
-- time, and deleted by id. The analytics queue holds arrays of ids: for
-- ticket checks its entries of the institution are unnested once per
-- statement and hashed.

-- name: PrunableVersions
-- A version counts as pending from the least id the stream's queue holds
-- (migration 012 says why that bounds them): one index lookup, however
-- long the queue. It may keep a version the projector has applied, until
-- the queue moves past it; never the other way.
WITH pending AS MATERIALIZED (
    SELECT min(ids[1]) AS id FROM analytics_pending WHERE kind = $2 AND institution = $1 AND kind <> 'checks'
)
SELECT d.id, d.received_at,
       (SELECT n.received_at FROM documents n
        WHERE n.institution = d.institution AND n.stream = d.stream AND n.external_id = d.external_id AND n.version > d.version
        ORDER BY n.version LIMIT 1) AS next_at,
       EXISTS (SELECT 1 FROM document_heads h
               WHERE h.institution = d.institution AND h.stream = d.stream AND h.external_id = d.external_id AND h.document_id = d.id) AS head,
       coalesce(d.id >= (SELECT id FROM pending), false) AS pending,
       EXISTS (SELECT 1 FROM analytics_applied_orders a
               WHERE a.institution = d.institution AND a.order_id = d.external_id AND a.document_id = d.id) AS applied
FROM documents d
WHERE d.institution = $1 AND d.stream = $2 AND d.received_at < $3 AND d.received_at >= $4 AND (d.received_at > $4 OR d.id > $5)
ORDER BY d.received_at, d.id
LIMIT $6;

-- name: PrunableChecks
WITH pending AS MATERIALIZED (
    SELECT DISTINCT unnest(ids) AS id FROM analytics_pending WHERE kind = 'checks' AND institution = $1
)
SELECT c.ticket_check_id, c.received_at,
       c.ticket_check_id IN (SELECT id FROM pending) AS pending,
       NOT EXISTS (SELECT 1 FROM order_movements om WHERE om.institution = c.institution AND om.movement_id = c.movement_id) AS unmatched
FROM ticket_checks c
WHERE c.institution = $1 AND c.received_at < $2 AND c.received_at >= $3 AND (c.received_at > $3 OR c.ticket_check_id > $4)
ORDER BY c.received_at, c.ticket_check_id
LIMIT $5;

-- name: PrunableQuarantined
SELECT id, last_seen_at FROM quarantine
WHERE institution = $1 AND stream = $2 AND last_seen_at < $3 AND last_seen_at >= $4 AND (last_seen_at > $4 OR id > $5)
ORDER BY last_seen_at, id
LIMIT $6;

-- name: DeleteVersions
DELETE FROM documents WHERE id = ANY($1::bigint[]);

-- name: DeleteChecks
DELETE FROM ticket_checks WHERE institution = $1 AND ticket_check_id = ANY($2::bigint[]);

-- name: DeleteQuarantined
DELETE FROM quarantine WHERE id = ANY($1::bigint[]);

-- name: InsertPruneRun
INSERT INTO erasures (institution, contact_number, actor, reason, erased_at, rewritten, kind)
VALUES ($1, '', $2, $3, $4, $5::jsonb, 'retention');

-- name: ListPruneRuns
SELECT rewritten::text FROM erasures WHERE institution = $1 AND kind = 'retention' ORDER BY id DESC;
