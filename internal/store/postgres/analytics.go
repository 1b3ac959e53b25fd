package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// The reports' reads of the rollups of migration 003, which the projector
// (projection.go) keeps up with ingest (queries/analytics.sql).

// rangeArgs are the parameters of r's query.
func rangeArgs(r driver.ReportRange) []any {
	return []any{r.Institution, r.From, r.Until, string(r.Interval), r.By}
}

// SalesTotals reads sales_daily; see driver.AnalyticsVerbs.
func (c conn) SalesTotals(ctx context.Context, r driver.ReportRange) ([]driver.SalesTotal, error) {
	return all(ctx, c.q, "SalesTotals", func(row pgx.Row, t *driver.SalesTotal) error {
		return row.Scan(&t.Period, &t.Label, &t.Kind, &t.Orders, &t.Tickets, &t.Gross, &t.Refunded)
	}, rangeArgs(r)...)
}

// LatestOrderBody reads the body of the order stored last.
func (c conn) LatestOrderBody(ctx context.Context, institution string) ([]byte, error) {
	bodies, err := all(ctx, c.q, "LatestOrderBody", func(row pgx.Row, b *[]byte) error { return row.Scan(b) }, institution)
	if len(bodies) == 0 {
		return nil, err
	}
	return bodies[0], err
}

// AttendanceTotals reads attendance_hourly.
func (c conn) AttendanceTotals(ctx context.Context, r driver.ReportRange) ([]driver.CheckTotal, error) {
	return all(ctx, c.q, "AttendanceTotals", func(row pgx.Row, t *driver.CheckTotal) error {
		return row.Scan(&t.Period, &t.Flow, &t.OK, &t.Checks)
	}, rangeArgs(r)[:4]...)
}

// GateTotals reads gate_daily.
func (c conn) GateTotals(ctx context.Context, r driver.ReportRange) ([]driver.CheckTotal, error) {
	return all(ctx, c.q, "GateTotals", func(row pgx.Row, t *driver.CheckTotal) error {
		return row.Scan(&t.Period, &t.Group, &t.Result, &t.Reason, &t.Checks)
	}, rangeArgs(r)...)
}

// BreakdownTotals reads attendance_movement_daily.
func (c conn) BreakdownTotals(ctx context.Context, r driver.ReportRange) ([]driver.CheckTotal, error) {
	return all(ctx, c.q, "BreakdownTotals", func(row pgx.Row, t *driver.CheckTotal) error {
		return row.Scan(&t.Period, &t.Matched, &t.Group, &t.Flow, &t.OK, &t.Checks)
	}, rangeArgs(r)...)
}

// ContactTotals reads contacts_daily.
func (c conn) ContactTotals(ctx context.Context, r driver.ReportRange) ([]driver.ContactTotal, error) {
	return all(ctx, c.q, "ContactTotals", func(row pgx.Row, t *driver.ContactTotal) error {
		return row.Scan(&t.Period, &t.Party, &t.Change, &t.Contacts)
	}, rangeArgs(r)[:4]...)
}

// StreamActivity reads stream's last push and recent count.
func (c conn) StreamActivity(ctx context.Context, institution string, stream usher.Stream, since time.Time) (driver.StreamActivity, error) {
	var a driver.StreamActivity
	err := c.q.QueryRow(ctx, queries.Get("StreamActivity"), institution, string(stream), since).Scan(&a.Last, &a.Since)
	return a, err
}

// rebuildStatements recompute the projections of $1 from its documents.
var rebuildStatements = []string{
	`DELETE FROM attendance_hourly WHERE institution = $1`,
	`DELETE FROM gate_daily WHERE institution = $1`,
	`DELETE FROM attendance_movement_daily WHERE institution = $1`,
	`DELETE FROM order_movements WHERE institution = $1`,
	`DELETE FROM sales_daily WHERE institution = $1`,
	`DELETE FROM contacts_daily WHERE institution = $1`,
	`INSERT INTO attendance_hourly (institution, hour, check_flow, ok, checks)
		SELECT institution, hour, check_flow, ok, count(*) FROM ticket_check_facts
		WHERE institution = $1 GROUP BY institution, hour, check_flow, ok`,
	`INSERT INTO gate_daily (institution, day, gate, check_flow, result, failure_reason, checks)
		SELECT institution, day, gate, check_flow, result, failure_reason, count(*) FROM ticket_check_facts
		WHERE institution = $1 GROUP BY institution, day, gate, check_flow, result, failure_reason`,
	`INSERT INTO contacts_daily (institution, day, party, change, contacts)
		SELECT institution, day, party, change, count(*) FROM contact_changes
		WHERE institution = $1 GROUP BY institution, day, party, change`,
	// Whole orders, including those without a single line.
	`INSERT INTO sales_daily (institution, dimension, day, label, kind, orders, tickets, gross, refunded)
		SELECT f.institution, 'all', f.day, '', f.kind, count(*), sum(l.tickets), sum(l.gross), sum(l.refunded)
		FROM document_heads h
		JOIN order_facts f ON f.document_id = h.document_id
		CROSS JOIN LATERAL (SELECT coalesce(sum(tickets), 0) AS tickets, coalesce(sum(gross), 0) AS gross, coalesce(sum(refunded), 0) AS refunded
		                    FROM order_lines ol WHERE ol.document_id = f.document_id) l
		WHERE h.institution = $1 AND h.stream = 'orders'
		GROUP BY f.institution, f.day, f.kind`,
	`INSERT INTO sales_daily (institution, dimension, day, label, kind, orders, tickets, gross, refunded)
		SELECT l.institution, d.dimension, l.day, CASE d.dimension WHEN 'product' THEN l.product ELSE l.event END, l.kind,
		       count(DISTINCT l.document_id), sum(l.tickets), sum(l.gross), sum(l.refunded)
		FROM document_heads h
		JOIN order_lines l ON l.document_id = h.document_id
		CROSS JOIN (VALUES ('product'), ('event')) AS d (dimension)
		WHERE h.institution = $1 AND h.stream = 'orders'
		GROUP BY 1, 2, 3, 4, 5`,
	// A movement claimed by two orders belongs to the later one, as when
	// the trigger applies them in turn.
	`INSERT INTO order_movements (institution, movement_id, order_id, product, audience, category)
		SELECT DISTINCT ON (l.movement_id) l.institution, l.movement_id, l.order_id, l.product, l.audience, l.category
		FROM document_heads h JOIN order_lines l ON l.document_id = h.document_id
		WHERE h.institution = $1 AND h.stream = 'orders' AND l.movement_id IS NOT NULL
		ORDER BY l.movement_id, l.document_id DESC`,
	`INSERT INTO attendance_movement_daily (institution, dimension, day, label, check_flow, ok, matched, checks)
		SELECT $1, d.dimension, j.day, CASE d.dimension WHEN 'product' THEN j.product WHEN 'audience' THEN j.audience ELSE j.category END,
		       j.check_flow, j.ok, j.matched, sum(j.n)
		FROM (SELECT f.day, f.check_flow, f.ok, om.movement_id IS NOT NULL AS matched,
		             coalesce(om.product, '') AS product, coalesce(om.audience, '') AS audience, coalesce(om.category, '') AS category, count(*) AS n
		      FROM ticket_check_facts f
		      LEFT JOIN order_movements om ON om.institution = f.institution AND om.movement_id = f.movement_id
		      WHERE f.institution = $1
		      GROUP BY 1, 2, 3, 4, 5, 6, 7) j
		CROSS JOIN analytics_dimensions d
		GROUP BY 2, 3, 4, 5, 6, 7`,
}
