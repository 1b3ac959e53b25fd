-- name: ForgetQueue
-- Statements of the analytics projector and of a rebuild, each a step
-- that projection.go's lists name; comments say why a step is written as
-- it is.
DELETE FROM analytics_pending WHERE institution = ?1;

-- name: RebuildClearAttendance
DELETE FROM attendance_hourly WHERE institution = ?1;

-- name: RebuildClearGates
DELETE FROM gate_daily WHERE institution = ?1;

-- name: RebuildClearMovementAttendance
DELETE FROM attendance_movement_daily WHERE institution = ?1;

-- name: RebuildClearMovements
DELETE FROM order_movements WHERE institution = ?1;

-- name: RebuildClearSales
DELETE FROM sales_daily WHERE institution = ?1;

-- name: RebuildClearContacts
DELETE FROM contacts_daily WHERE institution = ?1;

-- name: RebuildAttendance
INSERT INTO attendance_hourly (institution, hour, check_flow, ok, checks)
SELECT institution, hour, check_flow, ok, count(*) FROM ticket_check_facts
WHERE institution = ?1 GROUP BY institution, hour, check_flow, ok;

-- name: RebuildGates
INSERT INTO gate_daily (institution, day, gate, check_flow, result, failure_reason, checks)
SELECT institution, day, gate, check_flow, result, failure_reason, count(*) FROM ticket_check_facts
WHERE institution = ?1 GROUP BY institution, day, gate, check_flow, result, failure_reason;

-- name: RebuildContacts
INSERT INTO contacts_daily (institution, day, party, change, contacts)
SELECT institution, day, party, change, count(*) FROM contact_changes
WHERE institution = ?1 GROUP BY institution, day, party, change;

-- name: RebuildSalesOrders
-- Whole orders, including those without a single line.
INSERT INTO sales_daily (institution, dimension, day, label, kind, orders, tickets, gross, refunded)
SELECT f.institution, 'all', f.day, '', f.kind, count(*), sum(coalesce(l.tickets, 0)), sum(coalesce(l.gross, 0)), sum(coalesce(l.refunded, 0))
FROM document_heads h
JOIN order_facts f ON f.document_id = h.document_id
LEFT JOIN (SELECT l.document_id, sum(l.tickets) AS tickets, sum(l.gross) AS gross, sum(l.refunded) AS refunded
           FROM document_heads h2 JOIN order_lines l ON l.document_id = h2.document_id
           WHERE h2.institution = ?1 AND h2.stream = 'orders' GROUP BY l.document_id) l ON l.document_id = f.document_id
WHERE h.institution = ?1 AND h.stream = 'orders'
GROUP BY f.institution, f.day, f.kind;

-- name: RebuildSalesLines
INSERT INTO sales_daily (institution, dimension, day, label, kind, orders, tickets, gross, refunded)
SELECT l.institution, d.dimension, l.day, CASE d.dimension WHEN 'product' THEN l.product ELSE l.event END AS label, l.kind,
       count(DISTINCT l.document_id), sum(l.tickets), sum(l.gross), sum(l.refunded)
FROM document_heads h
JOIN order_lines l ON l.document_id = h.document_id
CROSS JOIN (SELECT 'product' AS dimension UNION ALL SELECT 'event') d
WHERE h.institution = ?1 AND h.stream = 'orders'
GROUP BY 1, 2, 3, 4, 5;

-- name: RebuildMovements
-- A movement claimed by two orders belongs to the later one, as when
-- the trigger applies them in turn (SQLite takes the bare columns of
-- the row holding the max).
INSERT INTO order_movements (institution, movement_id, order_id, product, audience, category)
SELECT institution, movement_id, order_id, product, audience, category FROM (
	SELECT l.institution, l.movement_id, l.order_id, l.product, l.audience, l.category, max(l.document_id)
	FROM document_heads h JOIN order_lines l ON l.document_id = h.document_id
	WHERE h.institution = ?1 AND h.stream = 'orders' AND l.movement_id IS NOT NULL
	GROUP BY l.movement_id);

-- name: RebuildMovementAttendance
INSERT INTO attendance_movement_daily (institution, dimension, day, label, check_flow, ok, matched, checks)
SELECT ?1, d.dimension, j.day, CASE d.dimension WHEN 'product' THEN j.product WHEN 'audience' THEN j.audience ELSE j.category END,
       j.check_flow, j.ok, j.matched, sum(j.n)
FROM (SELECT f.day, f.check_flow, f.ok, om.movement_id IS NOT NULL AS matched,
             coalesce(om.product, '') AS product, coalesce(om.audience, '') AS audience, coalesce(om.category, '') AS category, count(*) AS n
      FROM ticket_check_facts f
      LEFT JOIN order_movements om ON om.institution = f.institution AND om.movement_id = f.movement_id
      WHERE f.institution = ?1
      GROUP BY 1, 2, 3, 4, 5, 6, 7) j
CROSS JOIN analytics_dimensions d
GROUP BY 2, 3, 4, 5, 6, 7;

-- name: ProjectChecksAttendance
INSERT INTO attendance_hourly (institution, hour, check_flow, ok, checks)
SELECT f.institution, f.hour, f.check_flow, f.ok, count(*)
FROM analytics_pending p CROSS JOIN ticket_check_facts f ON f.institution = p.institution AND f.ticket_check_id = p.ref
WHERE p.kind = 'checks' AND p.seq < ?1
GROUP BY 1, 2, 3, 4
ON CONFLICT (institution, hour, check_flow, ok) DO UPDATE SET checks = checks + excluded.checks;

-- name: ProjectChecksGates
INSERT INTO gate_daily (institution, day, gate, check_flow, result, failure_reason, checks)
SELECT f.institution, f.day, f.gate, f.check_flow, f.result, f.failure_reason, count(*)
FROM analytics_pending p CROSS JOIN ticket_check_facts f ON f.institution = p.institution AND f.ticket_check_id = p.ref
WHERE p.kind = 'checks' AND p.seq < ?1
GROUP BY 1, 2, 3, 4, 5, 6
ON CONFLICT (institution, day, gate, check_flow, result, failure_reason) DO UPDATE SET checks = checks + excluded.checks;

-- name: ProjectChecksMovementAttendance
INSERT INTO attendance_movement_daily (institution, dimension, day, label, check_flow, ok, matched, checks)
SELECT f.institution, d.dimension, f.day,
       coalesce(CASE d.dimension WHEN 'product' THEN om.product WHEN 'audience' THEN om.audience ELSE om.category END, ''),
       f.check_flow, f.ok, om.movement_id IS NOT NULL, count(*)
FROM analytics_pending p
CROSS JOIN ticket_check_facts f ON f.institution = p.institution AND f.ticket_check_id = p.ref
CROSS JOIN analytics_dimensions d
LEFT JOIN order_movements om ON om.institution = f.institution AND om.movement_id = f.movement_id
WHERE p.kind = 'checks' AND p.seq < ?1
GROUP BY 1, 2, 3, 4, 5, 6, 7
ON CONFLICT (institution, dimension, day, label, check_flow, ok, matched) DO UPDATE SET checks = checks + excluded.checks;

-- name: ProjectContacts
INSERT INTO contacts_daily (institution, day, party, change, contacts)
SELECT c.institution, c.day, c.party, c.change, count(*)
FROM analytics_pending p CROSS JOIN contact_changes c ON c.document_id = p.ref
WHERE p.kind = 'contacts' AND p.seq < ?1
GROUP BY 1, 2, 3, 4
ON CONFLICT (institution, day, party, change) DO UPDATE SET contacts = contacts + excluded.contacts;

-- name: BatchOrders
INSERT INTO analytics_order_batch (institution, order_id, old_doc, new_doc)
SELECT DISTINCT d.institution, d.external_id, a.document_id, h.document_id
FROM (SELECT ref FROM analytics_pending WHERE kind = 'orders' ORDER BY seq LIMIT ?1) p
CROSS JOIN documents d ON d.id = p.ref
CROSS JOIN document_heads h ON h.institution = d.institution AND h.stream = 'orders' AND h.external_id = d.external_id
LEFT JOIN analytics_applied_orders a ON a.institution = d.institution AND a.order_id = d.external_id
WHERE a.document_id IS NOT h.document_id;

-- name: ApplyOrdersVersions
-- Each version's JSON is parsed once, into JSONB; its day and kind
-- (003's order_facts) are then read from that.
INSERT INTO analytics_batch_versions (document_id, sign, institution, order_id, day, kind, o)
SELECT v.document_id, v.sign, d.institution, d.external_id, substr(d.received_at, 1, 10), '',
       CASE WHEN json_type(d.body, '$.orderDetailsData') = 'object' THEN jsonb_extract(d.body, '$.orderDetailsData') ELSE jsonb(d.body) END
FROM (SELECT old_doc AS document_id, -1 AS sign FROM analytics_order_batch WHERE old_doc IS NOT NULL
      UNION ALL SELECT new_doc, 1 FROM analytics_order_batch) v
CROSS JOIN documents d ON d.id = v.document_id;

-- name: ApplyOrdersFacts
UPDATE analytics_batch_versions SET
	day = coalesce(CASE WHEN date(substr(coalesce(o ->> '$.creationDateTime', o ->> '$.closingDateTime'), 1, 10))
	                         = substr(coalesce(o ->> '$.creationDateTime', o ->> '$.closingDateTime'), 1, 10)
	                    THEN substr(coalesce(o ->> '$.creationDateTime', o ->> '$.closingDateTime'), 1, 10) END, day),
	kind = CASE
		WHEN upper(coalesce(o ->> '$.orderState', '')) IN ('ABANDONNED', 'ABANDONED', 'CANCELED', 'CANCELLED') THEN 'abandoned'
		WHEN upper(coalesce(o ->> '$.orderType', '')) IN ('REFUND', 'CREDIT_NOTE') THEN 'refund'
		WHEN upper(coalesce(o ->> '$.orderType', '')) IN ('RESERVATION', 'OPTION')
		  OR upper(coalesce(o ->> '$.orderState', '')) IN ('IN_OPTION', 'IN_RESERVATION', 'OPTION_RESERV') THEN 'pending'
		ELSE 'sale'
	END;

-- name: ApplyOrdersLines
INSERT INTO analytics_batch_lines (document_id, sign, institution, order_id, day, kind, product, event, movement_id, audience, category, tickets, gross, refunded)
SELECT document_id, sign, institution, order_id, day, kind, product, event, movement_id, audience, category,
       CASE WHEN negative THEN -abs(quantity) ELSE quantity END,
       CASE WHEN negative THEN 0 ELSE amount END,
       CASE WHEN negative THEN abs(amount) ELSE 0 END
FROM (SELECT *, kind = 'refund' OR movement_type IN ('REFUND', 'CANCELLATION', 'RETURN') OR amount < 0 AS negative
      FROM (SELECT document_id, sign, institution, order_id, day, kind, product, event, movement_id, audience, category, movement_type,
                   CASE WHEN has_movement THEN 1 ELSE coalesce(op_quantity, 1) END AS quantity,
                   CASE WHEN has_movement THEN coalesce(mv_amount, 0) ELSE coalesce(op_quantity, 1) * coalesce(op_price, 0) END AS amount
            FROM (SELECT v.document_id, v.sign, v.institution, v.order_id, v.day, v.kind,
                         coalesce(CAST(coalesce(op.value ->> '$.product', op.value ->> '$.productCode', op.value ->> '$.productId') AS TEXT), '') AS product,
                         coalesce(CAST(coalesce(op.value ->> '$.event', op.value ->> '$.performance', op.value ->> '$.eventId') AS TEXT), '') AS event,
                         CASE json_type(mv.value, '$.movementId')
                             WHEN 'integer' THEN mv.value ->> '$.movementId'
                             WHEN 'text' THEN CASE WHEN (mv.value ->> '$.movementId') NOT GLOB '*[^0-9]*' AND length(mv.value ->> '$.movementId') BETWEEN 1 AND 18
                                                   THEN CAST(mv.value ->> '$.movementId' AS INTEGER) END
                         END AS movement_id,
                         coalesce(CAST(mv.value ->> '$.audienceSubCategory' AS TEXT), '') AS audience,
                         coalesce(CAST(mv.value ->> '$.mainCategory' AS TEXT), '') AS category,
                         upper(coalesce(mv.value ->> '$.movementType', '')) AS movement_type,
                         mv.value IS NOT NULL AS has_movement,
                         CASE WHEN json_type(mv.value, '$.amount') IN ('integer', 'real') AND abs(mv.value ->> '$.amount') < 1e15
                              THEN CAST(round(mv.value ->> '$.amount') AS INTEGER) END AS mv_amount,
                         CASE WHEN json_type(op.value, '$.quantity') IN ('integer', 'real') AND abs(op.value ->> '$.quantity') < 1e15
                              THEN CAST(round(op.value ->> '$.quantity') AS INTEGER) END AS op_quantity,
                         CASE WHEN json_type(op.value, '$.unitPrice') IN ('integer', 'real') AND abs(op.value ->> '$.unitPrice') < 1e15
                              THEN CAST(round(op.value ->> '$.unitPrice') AS INTEGER) END AS op_price
                  FROM analytics_batch_versions v
                  JOIN jsonb_each(CASE WHEN json_type(v.o, '$.operationDatas') = 'array' THEN jsonb_extract(v.o, '$.operationDatas') ELSE '[]' END) op
                  LEFT JOIN jsonb_each(CASE WHEN json_type(op.value, '$.movementDatas') = 'array' THEN jsonb_extract(op.value, '$.movementDatas') ELSE '[]' END) mv)));

-- name: ApplyOrdersSales
INSERT INTO sales_daily (institution, dimension, day, label, kind, orders, tickets, gross, refunded)
SELECT institution, dimension, day, label, kind, sum(orders), sum(tickets), sum(gross), sum(refunded) FROM (
	SELECT v.institution, 'all' AS dimension, v.day, '' AS label, v.kind, v.sign AS orders,
	       v.sign * coalesce(t.tickets, 0) AS tickets, v.sign * coalesce(t.gross, 0) AS gross, v.sign * coalesce(t.refunded, 0) AS refunded
	FROM analytics_batch_versions v
	LEFT JOIN (SELECT document_id, sum(tickets) AS tickets, sum(gross) AS gross, sum(refunded) AS refunded
	           FROM analytics_batch_lines GROUP BY document_id) t ON t.document_id = v.document_id
	UNION ALL
	SELECT l.institution, d.dimension, l.day, CASE d.dimension WHEN 'product' THEN l.product ELSE l.event END, l.kind,
	       min(l.sign), min(l.sign) * sum(l.tickets), min(l.sign) * sum(l.gross), min(l.sign) * sum(l.refunded)
	FROM analytics_batch_lines l CROSS JOIN (SELECT 'product' AS dimension UNION ALL SELECT 'event') d
	GROUP BY l.document_id, 1, 2, 3, 4, 5)
WHERE true
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (institution, dimension, day, label, kind) DO UPDATE SET
	orders = orders + excluded.orders, tickets = tickets + excluded.tickets,
	gross = gross + excluded.gross, refunded = refunded + excluded.refunded;

-- name: ApplyOrdersOldMovements
INSERT OR IGNORE INTO analytics_movement_work (institution, movement_id)
SELECT om.institution, om.movement_id FROM analytics_order_batch b
CROSS JOIN order_movements om INDEXED BY order_movements_order ON om.institution = b.institution AND om.order_id = b.order_id;

-- name: ApplyOrdersNewMovements
INSERT OR IGNORE INTO analytics_movement_work (institution, movement_id)
SELECT institution, movement_id FROM analytics_batch_lines WHERE sign > 0 AND movement_id IS NOT NULL;

-- name: ApplyOrdersUnmatchChecks
-- Most orders arrive before anyone is checked in with them: then no
-- check has to move.
INSERT INTO analytics_shift_ops (to_matched) SELECT 0 WHERE EXISTS (
	SELECT 1 FROM analytics_movement_work w
	CROSS JOIN ticket_checks f INDEXED BY ticket_checks_movement ON f.institution = w.institution AND f.movement_id = w.movement_id);

-- name: ApplyOrdersUnlinkMovements
DELETE FROM order_movements WHERE (institution, movement_id) IN (SELECT institution, movement_id FROM analytics_movement_work);

-- name: ApplyOrdersLinkMovements
INSERT INTO order_movements (institution, movement_id, order_id, product, audience, category)
SELECT institution, movement_id, order_id, product, audience, category FROM (
	SELECT institution, movement_id, order_id, product, audience, category, max(document_id)
	FROM analytics_batch_lines WHERE sign > 0 AND movement_id IS NOT NULL
	GROUP BY institution, movement_id);

-- name: ApplyOrdersMatchChecks
INSERT INTO analytics_shift_ops (to_matched) SELECT 1 WHERE EXISTS (
	SELECT 1 FROM analytics_movement_work w
	CROSS JOIN ticket_checks f INDEXED BY ticket_checks_movement ON f.institution = w.institution AND f.movement_id = w.movement_id);

-- name: ApplyOrdersApplied
INSERT INTO analytics_applied_orders (institution, order_id, document_id)
SELECT institution, order_id, new_doc FROM analytics_order_batch WHERE true
ON CONFLICT (institution, order_id) DO UPDATE SET document_id = excluded.document_id;

-- name: ApplyOrdersClearMovementWork
DELETE FROM analytics_movement_work;

-- name: ApplyOrdersClearLines
DELETE FROM analytics_batch_lines;

-- name: ApplyOrdersClearVersions
DELETE FROM analytics_batch_versions;

-- name: RequeueChecks
INSERT INTO analytics_pending (institution, kind, ref, queued_at)
SELECT institution, 'checks', ticket_check_id, ?2 FROM ticket_checks WHERE institution = ?1 ORDER BY access_time, ticket_check_id;

-- name: RequeueContacts
INSERT INTO analytics_pending (institution, kind, ref, queued_at)
SELECT institution, 'contacts', id, ?2 FROM documents WHERE institution = ?1 AND stream = 'contacts' ORDER BY id;

-- name: RequeueOrders
INSERT INTO analytics_pending (institution, kind, ref, queued_at)
SELECT institution, 'orders', document_id, ?2 FROM document_heads WHERE institution = ?1 AND stream = 'orders' ORDER BY document_id;

-- name: ForgetApplied
DELETE FROM analytics_applied_orders WHERE institution = ?1;

-- name: ResetApplied
INSERT INTO analytics_applied_orders (institution, order_id, document_id)
SELECT institution, external_id, document_id FROM document_heads WHERE institution = ?1 AND stream = 'orders';

-- name: QueueSliceEnd
SELECT seq FROM analytics_pending WHERE kind = ? ORDER BY seq LIMIT 1 OFFSET ?;

-- name: Dequeue
DELETE FROM analytics_pending WHERE kind = ? AND seq < ?;

-- name: OrderBatchEnd
SELECT max(seq), count(*) FROM (SELECT seq FROM analytics_pending WHERE kind = 'orders' ORDER BY seq LIMIT ?);

-- name: ClearOrderBatch
DELETE FROM analytics_order_batch;

-- name: DequeueOrders
DELETE FROM analytics_pending WHERE kind = 'orders' AND seq <= ?;

-- name: QueueState
SELECT count(*), (SELECT queued_at FROM analytics_pending ORDER BY seq LIMIT 1) FROM analytics_pending;

-- name: QueueLast
SELECT coalesce(max(seq), 0) FROM analytics_pending;

-- name: QueueLeft
SELECT count(*) FROM analytics_pending WHERE seq <= ?;
