package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// The reports' reads of the rollups of migration 003, which the projector
// (projection.go) keeps up with ingest (queries/analytics.sql).

const dayLayout, hourLayout = "2006-01-02", "2006-01-02T15"

// rangeArgs are the parameters of r's query: days as text, or hours.
func rangeArgs(r driver.ReportRange, layout string) []any {
	return []any{r.Institution, r.From.Format(layout), r.Until.Format(layout), string(r.Interval), r.By}
}

// SalesTotals reads sales_daily; see driver.AnalyticsVerbs.
func (c conn) SalesTotals(ctx context.Context, r driver.ReportRange) ([]driver.SalesTotal, error) {
	return all(ctx, c.q, "SalesTotals", func(rows *sql.Rows, t *driver.SalesTotal) error {
		return rows.Scan((*period)(&t.Period), &t.Label, &t.Kind, &t.Orders, &t.Tickets, &t.Gross, &t.Refunded)
	}, rangeArgs(r, dayLayout)...)
}

// LatestOrderBody reads the body of the order stored last.
func (c conn) LatestOrderBody(ctx context.Context, institution string) ([]byte, error) {
	bodies, err := all(ctx, c.q, "LatestOrderBody", func(rows *sql.Rows, b *[]byte) error { return rows.Scan(b) }, institution)
	if len(bodies) == 0 {
		return nil, err
	}
	return bodies[0], err
}

// AttendanceTotals reads attendance_hourly.
func (c conn) AttendanceTotals(ctx context.Context, r driver.ReportRange) ([]driver.CheckTotal, error) {
	return all(ctx, c.q, "AttendanceTotals", func(rows *sql.Rows, t *driver.CheckTotal) error {
		return rows.Scan((*period)(&t.Period), &t.Flow, &t.OK, &t.Checks)
	}, rangeArgs(r, hourLayout)[:4]...)
}

// GateTotals reads gate_daily.
func (c conn) GateTotals(ctx context.Context, r driver.ReportRange) ([]driver.CheckTotal, error) {
	return all(ctx, c.q, "GateTotals", func(rows *sql.Rows, t *driver.CheckTotal) error {
		return rows.Scan((*period)(&t.Period), &t.Group, &t.Result, &t.Reason, &t.Checks)
	}, rangeArgs(r, dayLayout)...)
}

// BreakdownTotals reads attendance_movement_daily.
func (c conn) BreakdownTotals(ctx context.Context, r driver.ReportRange) ([]driver.CheckTotal, error) {
	return all(ctx, c.q, "BreakdownTotals", func(rows *sql.Rows, t *driver.CheckTotal) error {
		return rows.Scan((*period)(&t.Period), &t.Matched, &t.Group, &t.Flow, &t.OK, &t.Checks)
	}, rangeArgs(r, dayLayout)...)
}

// ContactTotals reads contacts_daily.
func (c conn) ContactTotals(ctx context.Context, r driver.ReportRange) ([]driver.ContactTotal, error) {
	return all(ctx, c.q, "ContactTotals", func(rows *sql.Rows, t *driver.ContactTotal) error {
		return rows.Scan((*period)(&t.Period), &t.Party, &t.Change, &t.Contacts)
	}, rangeArgs(r, dayLayout)[:4]...)
}

// StreamActivity reads stream's last push and recent count.
func (c conn) StreamActivity(ctx context.Context, institution string, stream usher.Stream, since time.Time) (driver.StreamActivity, error) {
	var a driver.StreamActivity
	err := c.q.QueryRowContext(ctx, queries.Get("StreamActivity"), institution, string(stream), formatTime(since)).Scan(textTimePtr{&a.Last}, &a.Since)
	return a, err
}

// period scans a report period, a day ('YYYY-MM-DD') or an hour
// ('YYYY-MM-DDTHH') as text, into a time.Time.
type period time.Time

// Scan implements sql.Scanner.
func (p *period) Scan(v any) error {
	var text string
	switch v := v.(type) {
	case string:
		text = v
	case []byte:
		text = string(v)
	default:
		return fmt.Errorf("sqlite: cannot scan %T into a period", v)
	}
	layout := dayLayout
	if len(text) > len(dayLayout) {
		layout = hourLayout
	}
	t, err := time.Parse(layout, text)
	if err != nil {
		return fmt.Errorf("period %q: %w", text, err)
	}
	*p = period(t)
	return nil
}

// rebuildDeletes is how many of rebuildStatements empty the rollups.
const rebuildDeletes = 6

// rebuildStatements recompute the projections of ?1 from its documents
// in one go: the first rebuildDeletes empty the rollups (a rebuild then
// requeues the documents, see RebuildAnalytics); the rest fill them
// set-wise, the oracle the conformance suite holds the projector to.
var rebuildStatements = []string{
	`DELETE FROM attendance_hourly WHERE institution = ?1`,
	`DELETE FROM gate_daily WHERE institution = ?1`,
	`DELETE FROM attendance_movement_daily WHERE institution = ?1`,
	`DELETE FROM order_movements WHERE institution = ?1`,
	`DELETE FROM sales_daily WHERE institution = ?1`,
	`DELETE FROM contacts_daily WHERE institution = ?1`,
	`INSERT INTO attendance_hourly (institution, hour, check_flow, ok, checks)
		SELECT institution, hour, check_flow, ok, count(*) FROM ticket_check_facts
		WHERE institution = ?1 GROUP BY institution, hour, check_flow, ok`,
	`INSERT INTO gate_daily (institution, day, gate, check_flow, result, failure_reason, checks)
		SELECT institution, day, gate, check_flow, result, failure_reason, count(*) FROM ticket_check_facts
		WHERE institution = ?1 GROUP BY institution, day, gate, check_flow, result, failure_reason`,
	`INSERT INTO contacts_daily (institution, day, party, change, contacts)
		SELECT institution, day, party, change, count(*) FROM contact_changes
		WHERE institution = ?1 GROUP BY institution, day, party, change`,
	// Whole orders, including those without a single line.
	`INSERT INTO sales_daily (institution, dimension, day, label, kind, orders, tickets, gross, refunded)
		SELECT f.institution, 'all', f.day, '', f.kind, count(*), sum(coalesce(l.tickets, 0)), sum(coalesce(l.gross, 0)), sum(coalesce(l.refunded, 0))
		FROM document_heads h
		JOIN order_facts f ON f.document_id = h.document_id
		LEFT JOIN (SELECT l.document_id, sum(l.tickets) AS tickets, sum(l.gross) AS gross, sum(l.refunded) AS refunded
		           FROM document_heads h2 JOIN order_lines l ON l.document_id = h2.document_id
		           WHERE h2.institution = ?1 AND h2.stream = 'orders' GROUP BY l.document_id) l ON l.document_id = f.document_id
		WHERE h.institution = ?1 AND h.stream = 'orders'
		GROUP BY f.institution, f.day, f.kind`,
	`INSERT INTO sales_daily (institution, dimension, day, label, kind, orders, tickets, gross, refunded)
		SELECT l.institution, d.dimension, l.day, CASE d.dimension WHEN 'product' THEN l.product ELSE l.event END AS label, l.kind,
		       count(DISTINCT l.document_id), sum(l.tickets), sum(l.gross), sum(l.refunded)
		FROM document_heads h
		JOIN order_lines l ON l.document_id = h.document_id
		CROSS JOIN (SELECT 'product' AS dimension UNION ALL SELECT 'event') d
		WHERE h.institution = ?1 AND h.stream = 'orders'
		GROUP BY 1, 2, 3, 4, 5`,
	// A movement claimed by two orders belongs to the later one, as when
	// the trigger applies them in turn (SQLite takes the bare columns of
	// the row holding the max).
	`INSERT INTO order_movements (institution, movement_id, order_id, product, audience, category)
		SELECT institution, movement_id, order_id, product, audience, category FROM (
			SELECT l.institution, l.movement_id, l.order_id, l.product, l.audience, l.category, max(l.document_id)
			FROM document_heads h JOIN order_lines l ON l.document_id = h.document_id
			WHERE h.institution = ?1 AND h.stream = 'orders' AND l.movement_id IS NOT NULL
			GROUP BY l.movement_id)`,
	`INSERT INTO attendance_movement_daily (institution, dimension, day, label, check_flow, ok, matched, checks)
		SELECT ?1, d.dimension, j.day, CASE d.dimension WHEN 'product' THEN j.product WHEN 'audience' THEN j.audience ELSE j.category END,
		       j.check_flow, j.ok, j.matched, sum(j.n)
		FROM (SELECT f.day, f.check_flow, f.ok, om.movement_id IS NOT NULL AS matched,
		             coalesce(om.product, '') AS product, coalesce(om.audience, '') AS audience, coalesce(om.category, '') AS category, count(*) AS n
		      FROM ticket_check_facts f
		      LEFT JOIN order_movements om ON om.institution = f.institution AND om.movement_id = f.movement_id
		      WHERE f.institution = ?1
		      GROUP BY 1, 2, 3, 4, 5, 6, 7) j
		CROSS JOIN analytics_dimensions d
		GROUP BY 2, 3, 4, 5, 6, 7`,
}
