-- name: ForgetQueue
-- Statements of the analytics projector and of a rebuild, each a step
-- that projection.go's lists name; comments say why a step is written as
-- it is.
DELETE FROM analytics_pending WHERE institution = $1;

-- name: ForgetApplied
DELETE FROM analytics_applied_orders WHERE institution = $1;

-- name: RebuildClearAttendance
DELETE FROM attendance_hourly WHERE institution = $1;

-- name: RebuildClearGates
DELETE FROM gate_daily WHERE institution = $1;

-- name: RebuildClearMovementAttendance
DELETE FROM attendance_movement_daily WHERE institution = $1;

-- name: RebuildClearMovements
DELETE FROM order_movements WHERE institution = $1;

-- name: RebuildClearSales
DELETE FROM sales_daily WHERE institution = $1;

-- name: RebuildClearContacts
DELETE FROM contacts_daily WHERE institution = $1;

-- name: RebuildAttendance
INSERT INTO attendance_hourly (institution, hour, check_flow, ok, checks)
SELECT institution, hour, check_flow, ok, count(*) FROM ticket_check_facts
WHERE institution = $1 GROUP BY institution, hour, check_flow, ok;

-- name: RebuildGates
INSERT INTO gate_daily (institution, day, gate, check_flow, result, failure_reason, checks)
SELECT institution, day, gate, check_flow, result, failure_reason, count(*) FROM ticket_check_facts
WHERE institution = $1 GROUP BY institution, day, gate, check_flow, result, failure_reason;

-- name: RebuildContacts
INSERT INTO contacts_daily (institution, day, party, change, contacts)
SELECT institution, day, party, change, count(*) FROM contact_changes
WHERE institution = $1 GROUP BY institution, day, party, change;

-- name: RebuildSalesOrders
-- Whole orders, including those without a single line.
INSERT INTO sales_daily (institution, dimension, day, label, kind, orders, tickets, gross, refunded)
SELECT f.institution, 'all', f.day, '', f.kind, count(*), sum(l.tickets), sum(l.gross), sum(l.refunded)
FROM document_heads h
JOIN order_facts f ON f.document_id = h.document_id
CROSS JOIN LATERAL (SELECT coalesce(sum(tickets), 0) AS tickets, coalesce(sum(gross), 0) AS gross, coalesce(sum(refunded), 0) AS refunded
                    FROM order_lines ol WHERE ol.document_id = f.document_id) l
WHERE h.institution = $1 AND h.stream = 'orders'
GROUP BY f.institution, f.day, f.kind;

-- name: RebuildSalesLines
INSERT INTO sales_daily (institution, dimension, day, label, kind, orders, tickets, gross, refunded)
SELECT l.institution, d.dimension, l.day, CASE d.dimension WHEN 'product' THEN l.product ELSE l.event END, l.kind,
       count(DISTINCT l.document_id), sum(l.tickets), sum(l.gross), sum(l.refunded)
FROM document_heads h
JOIN order_lines l ON l.document_id = h.document_id
CROSS JOIN (VALUES ('product'), ('event')) AS d (dimension)
WHERE h.institution = $1 AND h.stream = 'orders'
GROUP BY 1, 2, 3, 4, 5;

-- name: RebuildMovements
-- A movement claimed by two orders belongs to the later one, as when
-- the trigger applies them in turn.
INSERT INTO order_movements (institution, movement_id, order_id, product, audience, category)
SELECT DISTINCT ON (l.movement_id) l.institution, l.movement_id, l.order_id, l.product, l.audience, l.category
FROM document_heads h JOIN order_lines l ON l.document_id = h.document_id
WHERE h.institution = $1 AND h.stream = 'orders' AND l.movement_id IS NOT NULL
ORDER BY l.movement_id, l.document_id DESC;

-- name: RebuildMovementAttendance
INSERT INTO attendance_movement_daily (institution, dimension, day, label, check_flow, ok, matched, checks)
SELECT $1, d.dimension, j.day, CASE d.dimension WHEN 'product' THEN j.product WHEN 'audience' THEN j.audience ELSE j.category END,
       j.check_flow, j.ok, j.matched, sum(j.n)
FROM (SELECT f.day, f.check_flow, f.ok, om.movement_id IS NOT NULL AS matched,
             coalesce(om.product, '') AS product, coalesce(om.audience, '') AS audience, coalesce(om.category, '') AS category, count(*) AS n
      FROM ticket_check_facts f
      LEFT JOIN order_movements om ON om.institution = f.institution AND om.movement_id = f.movement_id
      WHERE f.institution = $1
      GROUP BY 1, 2, 3, 4, 5, 6, 7) j
CROSS JOIN analytics_dimensions d
GROUP BY 2, 3, 4, 5, 6, 7;

-- name: ResetApplied
INSERT INTO analytics_applied_orders (institution, order_id, document_id)
SELECT institution, external_id, document_id FROM document_heads WHERE institution = $1 AND stream = 'orders';

-- name: StaleStatistics
SELECT c.oid::regclass::text FROM pg_class c
WHERE c.oid IN ('documents'::regclass, 'document_heads'::regclass, 'ticket_checks'::regclass,
	'order_movements'::regclass, 'analytics_applied_orders'::regclass)
AND pg_relation_size(c.oid) > 2::bigint * 8192 * (greatest(c.relpages, 0) + 4);

-- name: ProjectionSettings
SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_custom_plan;

-- name: Project
SELECT checks, contacts, orders, pending, oldest, partial FROM analytics_project($1);

-- name: ProjectionLock
SELECT pg_advisory_lock(hashtextextended('usher.analytics', 0));

-- name: ProjectionTryLock
SELECT pg_try_advisory_lock(hashtextextended('usher.analytics', 0));

-- name: ProjectionUnlock
SELECT pg_advisory_unlock(hashtextextended('usher.analytics', 0));
