-- Statements of retention (driver.RetentionVerbs): rows older than a time,
-- with the facts internal/store decides on, read in (received time, id)
-- order after a cursor through the index led by the institution and its
-- time, and deleted by id. A page is two seeks merged, the rest of the
-- cursor's time (the index ends with the rowid) and the times after it:
-- a row-value comparison would walk every row of the cursor's time, and
-- a bulk load gives thousands the same. Whether a version is queued for
-- the projector is one probe of analytics_pending_ref (migration 010);
-- the IN subquery of the queued checks is built once per statement. Times are TEXT
-- (TimeFormat), so text order is time order.

-- name: PrunableVersions
SELECT d.id, d.received_at,
       (SELECT n.received_at FROM documents n
        WHERE n.institution = d.institution AND n.stream = d.stream AND n.external_id = d.external_id AND n.version > d.version
        ORDER BY n.version LIMIT 1) AS next_at,
       EXISTS (SELECT 1 FROM document_heads h
               WHERE h.institution = d.institution AND h.stream = d.stream AND h.external_id = d.external_id AND h.document_id = d.id) AS head,
       EXISTS (SELECT 1 FROM analytics_pending p INDEXED BY analytics_pending_ref
               WHERE p.ref = d.id AND p.kind IN ('contacts', 'orders') AND p.kind = ?2 AND p.institution = ?1) AS pending,
       EXISTS (SELECT 1 FROM analytics_applied_orders a
               WHERE a.institution = d.institution AND a.order_id = d.external_id AND a.document_id = d.id) AS applied
FROM (SELECT id, received_at FROM documents INDEXED BY documents_received
      WHERE institution = ?1 AND stream = ?2 AND received_at = ?4 AND id > ?5
      UNION ALL
      SELECT id, received_at FROM documents INDEXED BY documents_received
      WHERE institution = ?1 AND stream = ?2 AND received_at > ?4 AND received_at < ?3
      ORDER BY 2, 1 LIMIT ?6) AS page
JOIN documents d ON d.id = page.id
ORDER BY page.received_at, page.id;

-- name: PrunableChecks
SELECT c.ticket_check_id, c.received_at,
       c.ticket_check_id IN (SELECT ref FROM analytics_pending WHERE kind = 'checks' AND institution = ?1) AS pending,
       NOT EXISTS (SELECT 1 FROM order_movements om WHERE om.institution = c.institution AND om.movement_id = c.movement_id) AS unmatched
FROM (SELECT ticket_check_id, received_at FROM ticket_checks INDEXED BY ticket_checks_received
      WHERE institution = ?1 AND received_at = ?3 AND ticket_check_id > ?4
      UNION ALL
      SELECT ticket_check_id, received_at FROM ticket_checks INDEXED BY ticket_checks_received
      WHERE institution = ?1 AND received_at > ?3 AND received_at < ?2
      ORDER BY 2, 1 LIMIT ?5) AS page
JOIN ticket_checks c ON c.institution = ?1 AND c.ticket_check_id = page.ticket_check_id
ORDER BY page.received_at, page.ticket_check_id;

-- name: PrunableQuarantined
SELECT id, last_seen_at FROM quarantine INDEXED BY quarantine_last_seen
WHERE institution = ?1 AND stream = ?2 AND last_seen_at = ?4 AND id > ?5
UNION ALL
SELECT id, last_seen_at FROM quarantine INDEXED BY quarantine_last_seen
WHERE institution = ?1 AND stream = ?2 AND last_seen_at > ?4 AND last_seen_at < ?3
ORDER BY 2, 1 LIMIT ?6;

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
