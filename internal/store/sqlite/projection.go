package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/usher-hub/usher"
)

// checkSlice, contactSlice and orderSlice bound the checks, contact
// versions and order versions one projection applies, whatever the
// caller's limit. A projection holds the single writer, so a push that
// arrives meanwhile waits for it: a slice keeps that wait to about ten
// milliseconds (docs/performance.md).
const (
	checkSlice   = 250
	contactSlice = 250
	orderSlice   = 50
)

// projectChecksSQL applies the queued checks before entry ?1 to the check
// rollups.
var projectChecksSQL = []string{
	`INSERT INTO attendance_hourly (institution, hour, check_flow, ok, checks)
	SELECT f.institution, f.hour, f.check_flow, f.ok, count(*)
	FROM analytics_pending p CROSS JOIN ticket_check_facts f ON f.institution = p.institution AND f.ticket_check_id = p.ref
	WHERE p.kind = 'checks' AND p.seq < ?1
	GROUP BY 1, 2, 3, 4
	ON CONFLICT (institution, hour, check_flow, ok) DO UPDATE SET checks = checks + excluded.checks`,
	`INSERT INTO gate_daily (institution, day, gate, check_flow, result, failure_reason, checks)
	SELECT f.institution, f.day, f.gate, f.check_flow, f.result, f.failure_reason, count(*)
	FROM analytics_pending p CROSS JOIN ticket_check_facts f ON f.institution = p.institution AND f.ticket_check_id = p.ref
	WHERE p.kind = 'checks' AND p.seq < ?1
	GROUP BY 1, 2, 3, 4, 5, 6
	ON CONFLICT (institution, day, gate, check_flow, result, failure_reason) DO UPDATE SET checks = checks + excluded.checks`,
	`INSERT INTO attendance_movement_daily (institution, dimension, day, label, check_flow, ok, matched, checks)
	SELECT f.institution, d.dimension, f.day,
	       coalesce(CASE d.dimension WHEN 'product' THEN om.product WHEN 'audience' THEN om.audience ELSE om.category END, ''),
	       f.check_flow, f.ok, om.movement_id IS NOT NULL, count(*)
	FROM analytics_pending p
	CROSS JOIN ticket_check_facts f ON f.institution = p.institution AND f.ticket_check_id = p.ref
	CROSS JOIN analytics_dimensions d
	LEFT JOIN order_movements om ON om.institution = f.institution AND om.movement_id = f.movement_id
	WHERE p.kind = 'checks' AND p.seq < ?1
	GROUP BY 1, 2, 3, 4, 5, 6, 7
	ON CONFLICT (institution, dimension, day, label, check_flow, ok, matched) DO UPDATE SET checks = checks + excluded.checks`,
}

const projectContactsSQL = `
	INSERT INTO contacts_daily (institution, day, party, change, contacts)
	SELECT c.institution, c.day, c.party, c.change, count(*)
	FROM analytics_pending p CROSS JOIN contact_changes c ON c.document_id = p.ref
	WHERE p.kind = 'contacts' AND p.seq < ?1
	GROUP BY 1, 2, 3, 4
	ON CONFLICT (institution, day, party, change) DO UPDATE SET contacts = contacts + excluded.contacts`

// batchOrdersSQL fills analytics_order_batch with the orders of the
// first ?1 queued versions whose head is not the version the rollups hold.
const batchOrdersSQL = `
	INSERT INTO analytics_order_batch (institution, order_id, old_doc, new_doc)
	SELECT DISTINCT d.institution, d.external_id, a.document_id, h.document_id
	FROM (SELECT ref FROM analytics_pending WHERE kind = 'orders' ORDER BY seq LIMIT ?1) p
	CROSS JOIN documents d ON d.id = p.ref
	CROSS JOIN document_heads h ON h.institution = d.institution AND h.stream = 'orders' AND h.external_id = d.external_id
	LEFT JOIN analytics_applied_orders a ON a.institution = d.institution AND a.order_id = d.external_id
	WHERE a.document_id IS NOT h.document_id`

// applyOrdersSQL replaces, for each order of analytics_order_batch, the
// version the rollups hold with its head, set-wise (PostgreSQL's
// analytics_apply_orders): the sales rollups lose the old version's lines
// and gain the new one's, and the movements the orders held or now claim
// are relinked, their checks moving between unmatched and matched rows
// through 003's analytics_shift_ops trigger. A movement claimed by two new
// versions goes to the later one, as in a rebuild.
var applyOrdersSQL = []string{
	// Each version's JSON is parsed once, into JSONB; its day and kind
	// (003's order_facts) are then read from that.
	`INSERT INTO analytics_batch_versions (document_id, sign, institution, order_id, day, kind, o)
	SELECT v.document_id, v.sign, d.institution, d.external_id, substr(d.received_at, 1, 10), '',
	       CASE WHEN json_type(d.body, '$.orderDetailsData') = 'object' THEN jsonb_extract(d.body, '$.orderDetailsData') ELSE jsonb(d.body) END
	FROM (SELECT old_doc AS document_id, -1 AS sign FROM analytics_order_batch WHERE old_doc IS NOT NULL
	      UNION ALL SELECT new_doc, 1 FROM analytics_order_batch) v
	CROSS JOIN documents d ON d.id = v.document_id`,
	`UPDATE analytics_batch_versions SET
		day = coalesce(CASE WHEN date(substr(coalesce(o ->> '$.creationDateTime', o ->> '$.closingDateTime'), 1, 10))
		                         = substr(coalesce(o ->> '$.creationDateTime', o ->> '$.closingDateTime'), 1, 10)
		                    THEN substr(coalesce(o ->> '$.creationDateTime', o ->> '$.closingDateTime'), 1, 10) END, day),
		kind = CASE
			WHEN upper(coalesce(o ->> '$.orderState', '')) IN ('ABANDONNED', 'ABANDONED', 'CANCELED', 'CANCELLED') THEN 'abandoned'
			WHEN upper(coalesce(o ->> '$.orderType', '')) IN ('REFUND', 'CREDIT_NOTE') THEN 'refund'
			WHEN upper(coalesce(o ->> '$.orderType', '')) IN ('RESERVATION', 'OPTION')
			  OR upper(coalesce(o ->> '$.orderState', '')) IN ('IN_OPTION', 'IN_RESERVATION', 'OPTION_RESERV') THEN 'pending'
			ELSE 'sale'
		END`,
	batchLinesSQL,
	`INSERT INTO sales_daily (institution, dimension, day, label, kind, orders, tickets, gross, refunded)
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
		gross = gross + excluded.gross, refunded = refunded + excluded.refunded`,
	`INSERT OR IGNORE INTO analytics_movement_work (institution, movement_id)
	SELECT om.institution, om.movement_id FROM analytics_order_batch b
	CROSS JOIN order_movements om INDEXED BY order_movements_order ON om.institution = b.institution AND om.order_id = b.order_id`,
	`INSERT OR IGNORE INTO analytics_movement_work (institution, movement_id)
	SELECT institution, movement_id FROM analytics_batch_lines WHERE sign > 0 AND movement_id IS NOT NULL`,
	// Most orders arrive before anyone is checked in with them: then no
	// check has to move.
	`INSERT INTO analytics_shift_ops (to_matched) SELECT 0 WHERE EXISTS (
		SELECT 1 FROM analytics_movement_work w
		CROSS JOIN ticket_checks f INDEXED BY ticket_checks_movement ON f.institution = w.institution AND f.movement_id = w.movement_id)`,
	`DELETE FROM order_movements WHERE (institution, movement_id) IN (SELECT institution, movement_id FROM analytics_movement_work)`,
	`INSERT INTO order_movements (institution, movement_id, order_id, product, audience, category)
	SELECT institution, movement_id, order_id, product, audience, category FROM (
		SELECT institution, movement_id, order_id, product, audience, category, max(document_id)
		FROM analytics_batch_lines WHERE sign > 0 AND movement_id IS NOT NULL
		GROUP BY institution, movement_id)`,
	`INSERT INTO analytics_shift_ops (to_matched) SELECT 1 WHERE EXISTS (
		SELECT 1 FROM analytics_movement_work w
		CROSS JOIN ticket_checks f INDEXED BY ticket_checks_movement ON f.institution = w.institution AND f.movement_id = w.movement_id)`,
	`INSERT INTO analytics_applied_orders (institution, order_id, document_id)
	SELECT institution, order_id, new_doc FROM analytics_order_batch WHERE true
	ON CONFLICT (institution, order_id) DO UPDATE SET document_id = excluded.document_id`,
	`DELETE FROM analytics_movement_work`,
	`DELETE FROM analytics_batch_lines`,
	`DELETE FROM analytics_batch_versions`,
}

// batchLinesSQL reads the lines of the versions in
// analytics_batch_versions: 003's order_lines view, reading JSONB parsed
// once per version. Through the view, every line parsed its order's JSON
// text again for each field, six times the cost (docs/performance.md).
// The conformance suite checks that a batch and a rebuild (which reads
// the view) agree, odd values included.
const batchLinesSQL = `
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
	                  LEFT JOIN jsonb_each(CASE WHEN json_type(op.value, '$.movementDatas') = 'array' THEN jsonb_extract(op.value, '$.movementDatas') ELSE '[]' END) mv)))`

// ProjectAnalytics applies the analytics queue in one write transaction;
// see usher.AnalyticsStore.
func (s *Store) ProjectAnalytics(ctx context.Context, orderLimit int) (usher.Projection, error) {
	var p usher.Projection
	err := s.inWriteTx(ctx, "project analytics", func(ctx context.Context, tx *sql.Tx) error {
		p = usher.Projection{}
		end, sliced, err := sliceEnd(ctx, tx, "checks", checkSlice)
		if err != nil {
			return err
		}
		if p.Checks, err = projectQueued(ctx, tx, "checks", end, projectChecksSQL...); err != nil {
			return fmt.Errorf("checks: %w", err)
		}
		contactsEnd, contactsSliced, err := sliceEnd(ctx, tx, "contacts", contactSlice)
		if err != nil {
			return err
		}
		if p.Contacts, err = projectQueued(ctx, tx, "contacts", contactsEnd, projectContactsSQL); err != nil {
			return fmt.Errorf("contacts: %w", err)
		}
		p.Partial = sliced || contactsSliced
		// Orders move checks between matched and unmatched rows: only
		// once every queued check is counted, so that they move only
		// counted checks.
		if !sliced {
			var full bool
			if p.Orders, full, err = projectOrders(ctx, tx, min(orderLimit, orderSlice)); err != nil {
				return fmt.Errorf("orders: %w", err)
			}
			p.Partial = p.Partial || full
		}
		return queueState(ctx, tx, &p)
	})
	return p, err
}

// sliceEnd returns the queue entry before which this projection applies
// entries of kind: the first after a slice of n, and whether the slice
// left some.
func sliceEnd(ctx context.Context, tx *sql.Tx, kind string, n int) (int64, bool, error) {
	var end int64
	err := tx.QueryRowContext(ctx, `SELECT seq FROM analytics_pending WHERE kind = ? ORDER BY seq LIMIT 1 OFFSET ?`, kind, n).Scan(&end)
	if err == sql.ErrNoRows {
		return math.MaxInt64, false, nil
	}
	return end, err == nil, err
}

// projectQueued runs stmts over the queued entries of kind before entry
// end, then removes them from the queue and returns how many there were.
func projectQueued(ctx context.Context, tx *sql.Tx, kind string, end int64, stmts ...string) (int64, error) {
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt, end); err != nil {
			return 0, err
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM analytics_pending WHERE kind = ? AND seq < ?`, kind, end)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// projectOrders applies the orders of the first limit queued versions
// and returns how many changed, and whether it read a full batch.
func projectOrders(ctx context.Context, tx *sql.Tx, limit int) (changed int64, full bool, err error) {
	var last sql.NullInt64
	var queued int
	err = tx.QueryRowContext(ctx, `SELECT max(seq), count(*) FROM (SELECT seq FROM analytics_pending WHERE kind = 'orders' ORDER BY seq LIMIT ?)`, limit).
		Scan(&last, &queued)
	if err != nil || !last.Valid {
		return 0, false, err
	}
	res, err := tx.ExecContext(ctx, batchOrdersSQL, limit)
	if err != nil {
		return 0, false, err
	}
	if changed, err = res.RowsAffected(); err != nil {
		return 0, false, err
	}
	if changed > 0 {
		for _, stmt := range applyOrdersSQL {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return 0, false, fmt.Errorf("%.60s…: %w", stmt, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM analytics_order_batch`); err != nil {
		return 0, false, err
	}
	// The writer is single, so no entry below last can still appear.
	_, err = tx.ExecContext(ctx, `DELETE FROM analytics_pending WHERE kind = 'orders' AND seq <= ?`, last.Int64)
	return changed, queued >= limit, err
}

// queueState reads how much is still queued and since when.
func queueState(ctx context.Context, tx *sql.Tx, p *usher.Projection) error {
	var oldest sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT count(*), (SELECT queued_at FROM analytics_pending ORDER BY seq LIMIT 1) FROM analytics_pending`).
		Scan(&p.Pending, &oldest)
	if err != nil {
		return err
	}
	if oldest.Valid {
		t := parseTime(oldest.String)
		p.OldestPending = &t
	}
	return nil
}

// requeueSQL starts a rebuild of ?1: it empties the institution's
// rollups and queues every stored check, every contact version and every
// order's head for the projector, as ingest queued them, in one short
// transaction. Later pushes queue their own documents behind these, so
// each document is counted once.
var requeueSQL = []string{
	`DELETE FROM analytics_pending WHERE institution = ?1`,
	`DELETE FROM analytics_applied_orders WHERE institution = ?1`,
	`INSERT INTO analytics_pending (institution, kind, ref, queued_at)
		SELECT institution, 'checks', ticket_check_id, ?2 FROM ticket_checks WHERE institution = ?1 ORDER BY access_time, ticket_check_id`,
	`INSERT INTO analytics_pending (institution, kind, ref, queued_at)
		SELECT institution, 'contacts', id, ?2 FROM documents WHERE institution = ?1 AND stream = 'contacts' ORDER BY id`,
	`INSERT INTO analytics_pending (institution, kind, ref, queued_at)
		SELECT institution, 'orders', document_id, ?2 FROM document_heads WHERE institution = ?1 AND stream = 'orders' ORDER BY document_id`,
}

// RebuildAnalyticsSteps recomputes institution's projections from its
// documents. One transaction over the whole history held SQLite's single
// writer for as long as it took (68 s at 150,000 documents), and every
// push meanwhile failed; so a rebuild empties the rollups and requeues the
// documents in one short transaction, then applies the queue in the
// projector's slices, each its own short transaction, pausing between
// them as long as each took so that the writers of other processes (a
// running server's pushes) get the lock. Reports are partial until it
// returns. The conformance suite checks that it agrees with the
// projector's increments.
//
// It tells step how many queued
// documents it has applied of how many, after each slice, so `usher
// report rebuild` can show its progress.
func (s *Store) RebuildAnalyticsSteps(ctx context.Context, institution string, step func(done, total int)) error {
	var last int64
	err := s.inWriteTx(ctx, "rebuild analytics", func(ctx context.Context, tx *sql.Tx) error {
		for _, stmt := range slices.Concat(rebuildStatements[:rebuildDeletes], requeueSQL) {
			if _, err := tx.ExecContext(ctx, stmt, institution, formatTime(s.now())); err != nil {
				return fmt.Errorf("%.60s…: %w", stmt, err)
			}
		}
		return tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM analytics_pending`).Scan(&last)
	})
	if err != nil {
		return err
	}
	busy, total := 0, -1
	for {
		var left int
		if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM analytics_pending WHERE seq <= ?`, last).Scan(&left); err != nil {
			return unavailable("rebuild analytics", err)
		}
		if total < 0 {
			total = left
		}
		if step != nil {
			step(total-left, total)
		}
		if left == 0 {
			return nil
		}
		start := time.Now()
		if _, err := s.ProjectAnalytics(ctx, orderSlice); err != nil {
			// Another process's writer kept the lock past busy_timeout
			// (pushes under heavy load come first): the slices done are
			// committed, so wait and go on.
			if busy++; usher.ErrorCode(err) != usher.EUNAVAILABLE || busy > maxBusyRetries {
				return err
			}
		} else {
			busy = 0
		}
		if err := pause(ctx, time.Since(start)); err != nil {
			return err
		}
	}
}

// maxBusyRetries is how many slices of a rebuild in a row may find the
// lock held past busy_timeout (10 s each) before the rebuild gives up.
const maxBusyRetries = 6

// pause waits d, or until ctx is done.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// resetQueueSQL ends a rebuild at once of ?1: it read every document, so
// nothing of the institution is left to apply, and the rollups now hold
// each order's head.
var resetQueueSQL = []string{
	`DELETE FROM analytics_pending WHERE institution = ?1`,
	`DELETE FROM analytics_applied_orders WHERE institution = ?1`,
	`INSERT INTO analytics_applied_orders (institution, order_id, document_id)
		SELECT institution, external_id, document_id FROM document_heads WHERE institution = ?1 AND stream = 'orders'`,
}

// rebuildAtOnce recomputes institution's projections in one write
// transaction, set-wise from the views the projector uses. It was
// RebuildAnalytics until a rebuild had to let pushes through; the tests
// hold the sliced rebuild to it.
func (s *Store) rebuildAtOnce(ctx context.Context, institution string) error {
	return s.inWriteTx(ctx, "rebuild analytics", func(ctx context.Context, tx *sql.Tx) error {
		for _, stmt := range slices.Concat(rebuildStatements, resetQueueSQL) {
			if _, err := tx.ExecContext(ctx, stmt, institution); err != nil {
				return fmt.Errorf("%.60s…: %w", stmt, err)
			}
		}
		return nil
	})
}
