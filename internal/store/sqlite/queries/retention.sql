-- Statements of retention (driver.RetentionVerbs): rows older than a time,
-- with the facts internal/store decides on, read in (received time, id)
-- order after a cursor through the index led by the institution and its
-- time, and deleted by id. The IN subqueries over the analytics queue are
-- built once per statement. Times are TEXT (TimeFormat), so text order is
-- time order.

-- name: PrunableVersions
SELECT d.id, d.received_at,
       (SELECT min(n.received_at) FROM documents n
        WHERE n.institution = d.institution AND n.stream = d.stream AND n.external_id = d.external_id AND n.version > d.version) AS next_at,
       EXISTS (SELECT 1 FROM document_heads h
               WHERE h.institution = d.institution AND h.stream = d.stream AND h.external_id = d.external_id AND h.document_id = d.id) AS head,
       d.id IN (SELECT ref FROM analytics_pending WHERE kind = ?2 AND institution = ?1) AS pending,
       EXISTS (SELECT 1 FROM analytics_applied_orders a
               WHERE a.institution = d.institution AND a.order_id = d.external_id AND a.document_id = d.id) AS applied
FROM documents d INDEXED BY documents_received
WHERE d.institution = ?1 AND d.stream = ?2 AND d.received_at < ?3 AND d.received_at >= ?4 AND (d.received_at > ?4 OR d.id > ?5)
ORDER BY d.received_at, d.id
LIMIT ?6;

-- name: PrunableChecks
SELECT c.ticket_check_id, c.received_at,
       c.ticket_check_id IN (SELECT ref FROM analytics_pending WHERE kind = 'checks' AND institution = ?1) AS pending,
       NOT EXISTS (SELECT 1 FROM order_movements om WHERE om.institution = c.institution AND om.movement_id = c.movement_id) AS unmatched
FROM ticket_checks c INDEXED BY ticket_checks_received
WHERE c.institution = ?1 AND c.received_at < ?2 AND c.received_at >= ?3 AND (c.received_at > ?3 OR c.ticket_check_id > ?4)
ORDER BY c.received_at, c.ticket_check_id
LIMIT ?5;

-- name: PrunableQuarantined
SELECT id, last_seen_at FROM quarantine
WHERE institution = ?1 AND stream = ?2 AND last_seen_at < ?3 AND last_seen_at >= ?4 AND (last_seen_at > ?4 OR id > ?5)
ORDER BY last_seen_at, id
LIMIT ?6;

-- name: DeleteVersions
DELETE FROM documents WHERE id IN (SELECT value FROM json_each(?1));

-- name: DeleteChecks
DELETE FROM ticket_checks WHERE institution = ?1 AND ticket_check_id IN (SELECT value FROM json_each(?2));

-- name: DeleteQuarantined
DELETE FROM quarantine WHERE id IN (SELECT value FROM json_each(?1));

-- name: InsertPruneRun
INSERT INTO erasures (institution, contact_number, actor, reason, erased_at, rewritten, kind)
VALUES (?1, '', ?2, ?3, ?4, CAST(?5 AS TEXT), 'retention');

-- name: ListPruneRuns
SELECT rewritten FROM erasures WHERE institution = ?1 AND kind = 'retention' ORDER BY id DESC;
