package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
)

// The reports read the rollups of migration 003, which the projector
// (projection.go) keeps up with ingest; none of them touches the documents.

// dayPeriod groups a date column into the start of its period.
func dayPeriod(iv usher.Interval, col string) (string, error) {
	switch iv {
	case usher.IntervalDay:
		return col, nil
	case usher.IntervalWeek:
		return "date_trunc('week', " + col + ")::date", nil
	case usher.IntervalMonth:
		return "date_trunc('month', " + col + ")::date", nil
	}
	return "", usher.Errorf(usher.EINVALID, "interval %q is not available for this report: use day, week or month", iv)
}

// ReportSales answers the sales report from sales_daily.
func (s *Store) ReportSales(ctx context.Context, q usher.ReportQuery) (usher.SalesReport, error) {
	out := usher.SalesReport{}
	period, err := dayPeriod(q.Interval, "day")
	if err != nil {
		return out, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+period+` AS period, label,
			coalesce((sum(orders) FILTER (WHERE kind = 'sale'))::bigint, 0),
			coalesce((sum(orders) FILTER (WHERE kind = 'refund'))::bigint, 0),
			coalesce((sum(tickets) FILTER (WHERE kind IN ('sale', 'refund')))::bigint, 0),
			coalesce((sum(gross) FILTER (WHERE kind IN ('sale', 'refund')))::bigint, 0),
			coalesce((sum(refunded) FILTER (WHERE kind IN ('sale', 'refund')))::bigint, 0),
			coalesce((sum(orders) FILTER (WHERE kind = 'abandoned'))::bigint, 0),
			coalesce((sum(gross) FILTER (WHERE kind = 'abandoned'))::bigint, 0),
			coalesce((sum(orders) FILTER (WHERE kind = 'pending'))::bigint, 0)
		FROM sales_daily
		WHERE institution = $1 AND dimension = $2 AND day BETWEEN $3 AND $4
		GROUP BY 1, 2 HAVING sum(orders) > 0
		ORDER BY 1, 2`, q.Institution, salesDimension(q.By), q.From, q.To)
	if err != nil {
		return out, unavailable("sales report", err)
	}
	err = scanRows(rows, func(scan func(...any) error) error {
		var r usher.SalesRow
		if err := scan(&r.Period, &r.Label, &r.Orders, &r.RefundOrders, &r.Tickets, &r.Gross, &r.Refunded,
			&r.AbandonedOrders, &r.AbandonedAmount, &r.PendingOrders); err != nil {
			return err
		}
		out.Rows = append(out.Rows, r)
		return nil
	})
	if err != nil {
		return out, unavailable("sales report", err)
	}
	out.Currency, err = s.currency(ctx, q.Institution)
	return out, err
}

func salesDimension(by string) string {
	if by == "" {
		return usher.ByAll
	}
	return by
}

// currency returns the currency of the institution's latest order.
func (s *Store) currency(ctx context.Context, institution string) (string, error) {
	var code *string
	err := s.pool.QueryRow(ctx, `
		SELECT coalesce(body -> 'orderDetailsData' ->> 'currencyCode', body ->> 'currencyCode')
		FROM documents WHERE institution = $1 AND stream = 'orders'
		ORDER BY received_at DESC LIMIT 1`, institution).Scan(&code)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", unavailable("sales currency", err)
	}
	if code == nil {
		return "", nil
	}
	return *code, nil
}

// ReportAttendance answers the attendance report from attendance_hourly.
func (s *Store) ReportAttendance(ctx context.Context, q usher.ReportQuery) ([]usher.AttendanceRow, error) {
	period := "hour"
	if q.Interval != usher.IntervalHour {
		p, err := dayPeriod(q.Interval, "hour::date")
		if err != nil {
			return nil, err
		}
		period = p + "::timestamp"
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+period+` AS period,
			coalesce((sum(checks) FILTER (WHERE ok AND check_flow = 'IN'))::bigint, 0),
			coalesce((sum(checks) FILTER (WHERE ok AND check_flow = 'OUT'))::bigint, 0),
			coalesce((sum(checks) FILTER (WHERE NOT ok))::bigint, 0)
		FROM attendance_hourly
		WHERE institution = $1 AND hour >= $2 AND hour < $3
		GROUP BY 1 HAVING sum(checks) > 0 ORDER BY 1`, q.Institution, q.From, q.To.AddDate(0, 0, 1))
	if err != nil {
		return nil, unavailable("attendance report", err)
	}
	var out []usher.AttendanceRow
	err = scanRows(rows, func(scan func(...any) error) error {
		var r usher.AttendanceRow
		if err := scan(&r.Period, &r.In, &r.Out, &r.Failed); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, unavailable("attendance report", err)
	}
	return out, nil
}

func gateGroup(by string) (string, error) {
	switch by {
	case usher.ByGate, "":
		return "gate", nil
	case usher.ByFlow:
		return "check_flow", nil
	}
	return "", usher.Errorf(usher.EINVALID, "gates report: by must be gate or flow, got %q", by)
}

// ReportGates answers the gate-quality report from gate_daily.
func (s *Store) ReportGates(ctx context.Context, q usher.ReportQuery) (usher.GateReport, error) {
	var out usher.GateReport
	period, err := dayPeriod(q.Interval, "day")
	if err != nil {
		return out, err
	}
	group, err := gateGroup(q.By)
	if err != nil {
		return out, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+period+` AS period, `+group+` AS grp, sum(checks)::bigint,
			coalesce((sum(checks) FILTER (WHERE result NOT IN ('OK', 'OFFLINE_OK')))::bigint, 0)
		FROM gate_daily WHERE institution = $1 AND day BETWEEN $2 AND $3
		GROUP BY 1, 2 HAVING sum(checks) > 0 ORDER BY 1, 2`, q.Institution, q.From, q.To)
	if err != nil {
		return out, unavailable("gates report", err)
	}
	err = scanRows(rows, func(scan func(...any) error) error {
		var r usher.GateRow
		if err := scan(&r.Period, &r.Group, &r.Checks, &r.Failed); err != nil {
			return err
		}
		out.Rows = append(out.Rows, r)
		return nil
	})
	if err != nil {
		return out, unavailable("gates report", err)
	}
	out.Reasons, err = s.failureReasons(ctx, q, period, group)
	return out, err
}

func (s *Store) failureReasons(ctx context.Context, q usher.ReportQuery, period, group string) ([]usher.FailureReasonRow, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+period+` AS period, `+group+` AS grp, failure_reason, sum(checks)::bigint AS n
		FROM gate_daily
		WHERE institution = $1 AND day BETWEEN $2 AND $3 AND result NOT IN ('OK', 'OFFLINE_OK')
		GROUP BY 1, 2, 3 HAVING sum(checks) > 0
		ORDER BY 1, 2, 4 DESC, 3`, q.Institution, q.From, q.To)
	if err != nil {
		return nil, unavailable("failure reasons", err)
	}
	var out []usher.FailureReasonRow
	err = scanRows(rows, func(scan func(...any) error) error {
		var r usher.FailureReasonRow
		if err := scan(&r.Period, &r.Group, &r.Reason, &r.Checks); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, unavailable("failure reasons", err)
	}
	return out, nil
}

func breakdownDimension(by string) (string, error) {
	switch by {
	case "":
		return usher.ByProduct, nil
	case usher.ByProduct, usher.ByAudience, usher.ByCategory:
		return by, nil
	}
	return "", usher.Errorf(usher.EINVALID, "breakdown report: by must be product, audience or category, got %q", by)
}

// ReportBreakdown answers attendance per product or customer type from
// attendance_movement_daily, unmatched checks included.
func (s *Store) ReportBreakdown(ctx context.Context, q usher.ReportQuery) ([]usher.BreakdownRow, error) {
	period, err := dayPeriod(q.Interval, "day")
	if err != nil {
		return nil, err
	}
	dimension, err := breakdownDimension(q.By)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+period+` AS period, matched, label,
			coalesce((sum(checks) FILTER (WHERE ok AND check_flow = 'IN'))::bigint, 0),
			coalesce((sum(checks) FILTER (WHERE ok AND check_flow = 'OUT'))::bigint, 0),
			coalesce((sum(checks) FILTER (WHERE NOT ok))::bigint, 0)
		FROM attendance_movement_daily WHERE institution = $1 AND day BETWEEN $2 AND $3 AND dimension = $4
		GROUP BY 1, 2, 3 HAVING sum(checks) <> 0
		ORDER BY 1, 2 DESC, 3`, q.Institution, q.From, q.To, dimension)
	if err != nil {
		return nil, unavailable("breakdown report", err)
	}
	var out []usher.BreakdownRow
	err = scanRows(rows, func(scan func(...any) error) error {
		var r usher.BreakdownRow
		if err := scan(&r.Period, &r.Matched, &r.Label, &r.In, &r.Out, &r.Failed); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, unavailable("breakdown report", err)
	}
	return out, nil
}

// ReportContacts answers new and updated contacts from contacts_daily.
func (s *Store) ReportContacts(ctx context.Context, q usher.ReportQuery) ([]usher.ContactsRow, error) {
	period, err := dayPeriod(q.Interval, "day")
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+period+` AS period,
			coalesce((sum(contacts) FILTER (WHERE change = 'new' AND party = 'person'))::bigint, 0),
			coalesce((sum(contacts) FILTER (WHERE change = 'new' AND party = 'company'))::bigint, 0),
			coalesce((sum(contacts) FILTER (WHERE change = 'updated' AND party = 'person'))::bigint, 0),
			coalesce((sum(contacts) FILTER (WHERE change = 'updated' AND party = 'company'))::bigint, 0)
		FROM contacts_daily WHERE institution = $1 AND day BETWEEN $2 AND $3
		GROUP BY 1 HAVING sum(contacts) > 0 ORDER BY 1`, q.Institution, q.From, q.To)
	if err != nil {
		return nil, unavailable("contacts report", err)
	}
	var out []usher.ContactsRow
	err = scanRows(rows, func(scan func(...any) error) error {
		var r usher.ContactsRow
		if err := scan(&r.Period, &r.NewPersons, &r.NewCompanies, &r.UpdatedPersons, &r.UpdatedCompanies); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, unavailable("contacts report", err)
	}
	return out, nil
}

// scanRows calls fn once per row with the row's Scan, and closes rows.
func scanRows(rows pgx.Rows, fn func(scan func(...any) error) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// IngestHealth reports each stream's newest document and recent count.
// A payload whose documents were all quarantined was still received: its
// last_seen_at counts as a push too, so the last push does not go stale.
func (s *Store) IngestHealth(ctx context.Context, institution string, since time.Time) ([]usher.StreamHealth, error) {
	out := make([]usher.StreamHealth, 0, len(usher.Streams))
	for _, st := range usher.Streams {
		h := usher.StreamHealth{Stream: st}
		var row pgx.Row
		if st == usher.StreamTicketChecks {
			row = s.pool.QueryRow(ctx, `SELECT
				GREATEST((SELECT max(received_at) FROM ticket_checks WHERE institution = $1),
					(SELECT max(last_seen_at) FROM quarantine WHERE institution = $1 AND stream = $3)),
				(SELECT count(*) FROM ticket_checks WHERE institution = $1 AND received_at >= $2)`, institution, since, string(st))
		} else {
			row = s.pool.QueryRow(ctx, `SELECT
				GREATEST((SELECT max(received_at) FROM documents WHERE institution = $1 AND stream = $2),
					(SELECT max(last_seen_at) FROM quarantine WHERE institution = $1 AND stream = $2)),
				(SELECT count(*) FROM documents WHERE institution = $1 AND stream = $2 AND received_at >= $3)`, institution, string(st), since)
		}
		if err := row.Scan(&h.LastReceivedAt, &h.ReceivedSince); err != nil {
			return nil, unavailable("ingest health", err)
		}
		out = append(out, h)
	}
	return out, nil
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
