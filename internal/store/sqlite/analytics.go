package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/usher-hub/usher"
)

// The reports read the rollups of migration 003, which the projector
// (projection.go) keeps up with ingest; none of them touches the documents.

const dayLayout, hourLayout = "2006-01-02", "2006-01-02T15"

// dayPeriod groups a 'YYYY-MM-DD' column into the start of its period.
func dayPeriod(iv usher.Interval, col string) (string, error) {
	switch iv {
	case usher.IntervalDay:
		return col, nil
	case usher.IntervalWeek:
		return "date(" + col + ", '-6 days', 'weekday 1')", nil
	case usher.IntervalMonth:
		return "substr(" + col + ", 1, 7) || '-01'", nil
	}
	return "", usher.Errorf(usher.EINVALID, "interval %q is not available for this report: use day, week or month", iv)
}

// dayBounds returns the inclusive text bounds of q's days.
func dayBounds(q usher.ReportQuery) (from, to string) {
	return q.From.Format(dayLayout), q.To.Format(dayLayout)
}

// ReportSales answers the sales report from sales_daily.
func (s *Store) ReportSales(ctx context.Context, q usher.ReportQuery) (usher.SalesReport, error) {
	period, err := dayPeriod(q.Interval, "day")
	if err != nil {
		return usher.SalesReport{}, err
	}
	from, to := dayBounds(q)
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+period+` AS period, label,
			sum(CASE WHEN kind = 'sale' THEN orders ELSE 0 END),
			sum(CASE WHEN kind = 'refund' THEN orders ELSE 0 END),
			sum(CASE WHEN kind IN ('sale', 'refund') THEN tickets ELSE 0 END),
			sum(CASE WHEN kind IN ('sale', 'refund') THEN gross ELSE 0 END),
			sum(CASE WHEN kind IN ('sale', 'refund') THEN refunded ELSE 0 END),
			sum(CASE WHEN kind = 'abandoned' THEN orders ELSE 0 END),
			sum(CASE WHEN kind = 'abandoned' THEN gross ELSE 0 END),
			sum(CASE WHEN kind = 'pending' THEN orders ELSE 0 END)
		FROM sales_daily
		WHERE institution = ? AND dimension = ? AND day >= ? AND day <= ?
		GROUP BY period, label HAVING sum(orders) > 0
		ORDER BY period, label`, q.Institution, salesDimension(q.By), from, to)
	if err != nil {
		return usher.SalesReport{}, unavailable("sales report", err)
	}
	out := usher.SalesReport{}
	err = scanRows(rows, dayLayout, func(scan func(*time.Time, ...any) error) error {
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
	var code sql.NullString
	err := s.read.QueryRowContext(ctx, `
		SELECT coalesce(body ->> '$.orderDetailsData.currencyCode', body ->> '$.currencyCode')
		FROM documents WHERE institution = ? AND stream = 'orders'
		ORDER BY received_at DESC LIMIT 1`, institution).Scan(&code)
	if err != nil && err != sql.ErrNoRows {
		return "", unavailable("sales currency", err)
	}
	return code.String, nil
}

// ReportAttendance answers the attendance report from attendance_hourly.
func (s *Store) ReportAttendance(ctx context.Context, q usher.ReportQuery) ([]usher.AttendanceRow, error) {
	period, layout := "hour", hourLayout
	if q.Interval != usher.IntervalHour {
		p, err := dayPeriod(q.Interval, "substr(hour, 1, 10)")
		if err != nil {
			return nil, err
		}
		period, layout = p, dayLayout
	}
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+period+` AS period,
			sum(CASE WHEN ok = 1 AND check_flow = 'IN' THEN checks ELSE 0 END),
			sum(CASE WHEN ok = 1 AND check_flow = 'OUT' THEN checks ELSE 0 END),
			sum(CASE WHEN ok = 0 THEN checks ELSE 0 END)
		FROM attendance_hourly
		WHERE institution = ? AND hour >= ? AND hour < ?
		GROUP BY period HAVING sum(checks) > 0
		ORDER BY period`, q.Institution, q.From.Format(hourLayout), q.To.AddDate(0, 0, 1).Format(hourLayout))
	if err != nil {
		return nil, unavailable("attendance report", err)
	}
	var out []usher.AttendanceRow
	err = scanRows(rows, layout, func(scan func(*time.Time, ...any) error) error {
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
	from, to := dayBounds(q)
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+period+` AS period, `+group+` AS grp, sum(checks),
			sum(CASE WHEN result IN ('OK', 'OFFLINE_OK') THEN 0 ELSE checks END)
		FROM gate_daily WHERE institution = ? AND day >= ? AND day <= ?
		GROUP BY period, grp HAVING sum(checks) > 0 ORDER BY period, grp`, q.Institution, from, to)
	if err != nil {
		return out, unavailable("gates report", err)
	}
	err = scanRows(rows, dayLayout, func(scan func(*time.Time, ...any) error) error {
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
	from, to := dayBounds(q)
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+period+` AS period, `+group+` AS grp, failure_reason, sum(checks) AS n
		FROM gate_daily
		WHERE institution = ? AND day >= ? AND day <= ? AND result NOT IN ('OK', 'OFFLINE_OK')
		GROUP BY period, grp, failure_reason HAVING n > 0
		ORDER BY period, grp, n DESC, failure_reason`, q.Institution, from, to)
	if err != nil {
		return nil, unavailable("failure reasons", err)
	}
	var out []usher.FailureReasonRow
	err = scanRows(rows, dayLayout, func(scan func(*time.Time, ...any) error) error {
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
	from, to := dayBounds(q)
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+period+` AS period, matched, label,
			sum(CASE WHEN ok = 1 AND check_flow = 'IN' THEN checks ELSE 0 END),
			sum(CASE WHEN ok = 1 AND check_flow = 'OUT' THEN checks ELSE 0 END),
			sum(CASE WHEN ok = 0 THEN checks ELSE 0 END)
		FROM attendance_movement_daily WHERE institution = ? AND day >= ? AND day <= ? AND dimension = ?
		GROUP BY period, matched, label HAVING sum(checks) <> 0
		ORDER BY period, matched DESC, label`, q.Institution, from, to, dimension)
	if err != nil {
		return nil, unavailable("breakdown report", err)
	}
	var out []usher.BreakdownRow
	err = scanRows(rows, dayLayout, func(scan func(*time.Time, ...any) error) error {
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
	from, to := dayBounds(q)
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+period+` AS period,
			sum(CASE WHEN change = 'new' AND party = 'person' THEN contacts ELSE 0 END),
			sum(CASE WHEN change = 'new' AND party = 'company' THEN contacts ELSE 0 END),
			sum(CASE WHEN change = 'updated' AND party = 'person' THEN contacts ELSE 0 END),
			sum(CASE WHEN change = 'updated' AND party = 'company' THEN contacts ELSE 0 END)
		FROM contacts_daily WHERE institution = ? AND day >= ? AND day <= ?
		GROUP BY period HAVING sum(contacts) > 0 ORDER BY period`, q.Institution, from, to)
	if err != nil {
		return nil, unavailable("contacts report", err)
	}
	var out []usher.ContactsRow
	err = scanRows(rows, dayLayout, func(scan func(*time.Time, ...any) error) error {
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

// scanRows calls fn once per row with a scan function that reads the
// first column, a period in layout, into period and the others into dest.
func scanRows(rows *sql.Rows, layout string, fn func(scan func(period *time.Time, dest ...any) error) error) error {
	defer rows.Close()
	scan := func(period *time.Time, dest ...any) error {
		var text string
		if err := rows.Scan(append([]any{&text}, dest...)...); err != nil {
			return err
		}
		t, err := time.Parse(layout, text)
		if err != nil {
			return fmt.Errorf("period %q: %w", text, err)
		}
		*period = t
		return nil
	}
	for rows.Next() {
		if err := fn(scan); err != nil {
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
		var row *sql.Row
		if st == usher.StreamTicketChecks {
			row = s.read.QueryRowContext(ctx, `SELECT
				(SELECT max(t) FROM (SELECT max(received_at) AS t FROM ticket_checks WHERE institution = ?1
					UNION ALL SELECT max(last_seen_at) FROM quarantine WHERE institution = ?1 AND stream = ?3)),
				(SELECT count(*) FROM ticket_checks WHERE institution = ?1 AND received_at >= ?2)`, institution, formatTime(since), string(st))
		} else {
			row = s.read.QueryRowContext(ctx, `SELECT
				(SELECT max(t) FROM (SELECT max(received_at) AS t FROM documents WHERE institution = ?1 AND stream = ?3
					UNION ALL SELECT max(last_seen_at) FROM quarantine WHERE institution = ?1 AND stream = ?3)),
				(SELECT count(*) FROM documents WHERE institution = ?1 AND stream = ?3 AND received_at >= ?2)`, institution, formatTime(since), string(st))
		}
		var last sql.NullString
		h := usher.StreamHealth{Stream: st}
		if err := row.Scan(&last, &h.ReceivedSince); err != nil {
			return nil, unavailable("ingest health", err)
		}
		if last.Valid {
			t := parseTime(last.String)
			h.LastReceivedAt = &t
		}
		out = append(out, h)
	}
	return out, nil
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
