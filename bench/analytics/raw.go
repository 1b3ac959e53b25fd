package analytics

import (
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
)

// A case is one report question: how usher answers it (through the
// analytics service) and how it is asked in plain SQL on the raw tables
// (ticket_checks, documents, document_heads), without usher's rollups.
// The views the raw SQL names (order_lines, contact_changes) store
// nothing: they are the JSON-expanding SQL over documents, inlined by the
// planner, so the raw side does all of that work at query time.
//
// Each raw question returns the same figures as usher; checksum names the
// column both sides total to prove it (see sum).
type benchCase struct {
	name     string
	report   analytics.Report
	interval usher.Interval
	by       string
	// days limits the range (0: the whole venue).
	days     int
	postgres []string
	sqlite   []string
	// checksum is the raw column (of the first query) whose total must
	// equal the usher result's sum.
	checksum int
}

var benchCases = []benchCase{
	{name: "sales_day", report: analytics.ReportSales, interval: usher.IntervalDay, by: usher.ByAll, checksum: 1,
		postgres: []string{`SELECT day, count(*) FILTER (WHERE kind = 'sale'), count(*) FILTER (WHERE kind = 'refund'),
			sum(tickets) FILTER (WHERE kind IN ('sale', 'refund')), sum(gross) FILTER (WHERE kind IN ('sale', 'refund')),
			sum(refunded) FILTER (WHERE kind IN ('sale', 'refund')), count(*) FILTER (WHERE kind = 'abandoned'),
			sum(gross) FILTER (WHERE kind = 'abandoned'), count(*) FILTER (WHERE kind = 'pending')
			FROM (SELECT l.document_id, l.day, l.kind, sum(l.tickets) AS tickets, sum(l.gross) AS gross, sum(l.refunded) AS refunded
			      FROM document_heads h JOIN order_lines l ON l.document_id = h.document_id
			      WHERE h.institution = $1 AND h.stream = 'orders' GROUP BY 1, 2, 3) o
			WHERE day BETWEEN $2 AND $3 GROUP BY day ORDER BY day`},
		sqlite: []string{`SELECT day, sum(kind = 'sale'), sum(kind = 'refund'),
			sum(CASE WHEN kind IN ('sale', 'refund') THEN tickets END), sum(CASE WHEN kind IN ('sale', 'refund') THEN gross END),
			sum(CASE WHEN kind IN ('sale', 'refund') THEN refunded END), sum(kind = 'abandoned'),
			sum(CASE WHEN kind = 'abandoned' THEN gross END), sum(kind = 'pending')
			FROM (SELECT l.document_id, l.day, l.kind, sum(l.tickets) AS tickets, sum(l.gross) AS gross, sum(l.refunded) AS refunded
			      FROM document_heads h JOIN order_lines l ON l.document_id = h.document_id
			      WHERE h.institution = ?1 AND h.stream = 'orders' GROUP BY 1, 2, 3)
			WHERE day BETWEEN ?2 AND ?3 GROUP BY day ORDER BY day`}},
	{name: "sales_month_product", report: analytics.ReportSales, interval: usher.IntervalMonth, by: usher.ByProduct, checksum: 2,
		postgres: []string{`SELECT date_trunc('month', l.day)::date, l.product,
			count(DISTINCT l.document_id) FILTER (WHERE kind = 'sale'), count(DISTINCT l.document_id) FILTER (WHERE kind = 'refund'),
			sum(tickets) FILTER (WHERE kind IN ('sale', 'refund')), sum(gross) FILTER (WHERE kind IN ('sale', 'refund')),
			sum(refunded) FILTER (WHERE kind IN ('sale', 'refund')), count(DISTINCT l.document_id) FILTER (WHERE kind = 'abandoned'),
			sum(gross) FILTER (WHERE kind = 'abandoned'), count(DISTINCT l.document_id) FILTER (WHERE kind = 'pending')
			FROM document_heads h JOIN order_lines l ON l.document_id = h.document_id
			WHERE h.institution = $1 AND h.stream = 'orders' AND l.day BETWEEN $2 AND $3
			GROUP BY 1, 2 ORDER BY 1, 2`},
		sqlite: []string{`SELECT substr(l.day, 1, 7), l.product,
			count(DISTINCT CASE WHEN kind = 'sale' THEN l.document_id END), count(DISTINCT CASE WHEN kind = 'refund' THEN l.document_id END),
			sum(CASE WHEN kind IN ('sale', 'refund') THEN tickets END), sum(CASE WHEN kind IN ('sale', 'refund') THEN gross END),
			sum(CASE WHEN kind IN ('sale', 'refund') THEN refunded END), count(DISTINCT CASE WHEN kind = 'abandoned' THEN l.document_id END),
			sum(CASE WHEN kind = 'abandoned' THEN gross END), count(DISTINCT CASE WHEN kind = 'pending' THEN l.document_id END)
			FROM document_heads h JOIN order_lines l ON l.document_id = h.document_id
			WHERE h.institution = ?1 AND h.stream = 'orders' AND l.day BETWEEN ?2 AND ?3
			GROUP BY 1, 2 ORDER BY 1, 2`}},
	{name: "attendance_day", report: analytics.ReportAttendance, interval: usher.IntervalDay, checksum: 1,
		postgres: []string{
			`SELECT access_time::date, count(*) FILTER (WHERE result IN ('OK', 'OFFLINE_OK') AND check_flow = 'IN'),
				count(*) FILTER (WHERE result IN ('OK', 'OFFLINE_OK') AND check_flow = 'OUT'),
				count(*) FILTER (WHERE result NOT IN ('OK', 'OFFLINE_OK'))
				FROM ticket_checks WHERE institution = $1 AND access_time >= $2 AND access_time < $3::date + 1 GROUP BY 1 ORDER BY 1`,
			pgPeakHour, pgOccupancy},
		sqlite: []string{
			`SELECT substr(access_time, 1, 10), sum(result IN ('OK', 'OFFLINE_OK') AND check_flow = 'IN'),
				sum(result IN ('OK', 'OFFLINE_OK') AND check_flow = 'OUT'), sum(result NOT IN ('OK', 'OFFLINE_OK'))
				FROM ticket_checks WHERE institution = ?1 AND access_time >= ?2 AND access_time < date(?3, '+1 day') GROUP BY 1 ORDER BY 1`,
			liteHourPeak, liteOccupancy}},
	{name: "attendance_hour_31d", report: analytics.ReportAttendance, interval: usher.IntervalHour, days: 31, checksum: 1,
		postgres: []string{
			`SELECT date_trunc('hour', access_time), count(*) FILTER (WHERE result IN ('OK', 'OFFLINE_OK') AND check_flow = 'IN'),
				count(*) FILTER (WHERE result IN ('OK', 'OFFLINE_OK') AND check_flow = 'OUT'),
				count(*) FILTER (WHERE result NOT IN ('OK', 'OFFLINE_OK'))
				FROM ticket_checks WHERE institution = $1 AND access_time >= $2 AND access_time < $3::date + 1 GROUP BY 1 ORDER BY 1`,
			pgOccupancy},
		sqlite: []string{
			`SELECT substr(access_time, 1, 13), sum(result IN ('OK', 'OFFLINE_OK') AND check_flow = 'IN'),
				sum(result IN ('OK', 'OFFLINE_OK') AND check_flow = 'OUT'), sum(result NOT IN ('OK', 'OFFLINE_OK'))
				FROM ticket_checks WHERE institution = ?1 AND access_time >= ?2 AND access_time < date(?3, '+1 day') GROUP BY 1 ORDER BY 1`,
			liteOccupancy}},
	{name: "gates_day", report: analytics.ReportGates, interval: usher.IntervalDay, by: usher.ByGate, checksum: 2,
		postgres: []string{
			`SELECT access_time::date, coalesce(body ->> 'gate', body ->> 'access_point', body ->> 'ac_identifier', '') AS gate, count(*),
				count(*) FILTER (WHERE result NOT IN ('OK', 'OFFLINE_OK'))
				FROM ticket_checks WHERE institution = $1 AND access_time >= $2 AND access_time < $3::date + 1 GROUP BY 1, 2 ORDER BY 1, 2`,
			`SELECT access_time::date, coalesce(body ->> 'gate', body ->> 'access_point', body ->> 'ac_identifier', '') AS gate, failure_reason, count(*)
				FROM ticket_checks WHERE institution = $1 AND access_time >= $2 AND access_time < $3::date + 1
				AND result NOT IN ('OK', 'OFFLINE_OK') GROUP BY 1, 2, 3 ORDER BY 1, 2, 4 DESC, 3`},
		sqlite: []string{
			`SELECT substr(access_time, 1, 10), coalesce(CAST(coalesce(body ->> '$.gate', body ->> '$.access_point', body ->> '$.ac_identifier') AS TEXT), '') AS gate,
				count(*), sum(result NOT IN ('OK', 'OFFLINE_OK'))
				FROM ticket_checks WHERE institution = ?1 AND access_time >= ?2 AND access_time < date(?3, '+1 day') GROUP BY 1, 2 ORDER BY 1, 2`,
			`SELECT substr(access_time, 1, 10), coalesce(CAST(coalesce(body ->> '$.gate', body ->> '$.access_point', body ->> '$.ac_identifier') AS TEXT), '') AS gate,
				failure_reason, count(*)
				FROM ticket_checks WHERE institution = ?1 AND access_time >= ?2 AND access_time < date(?3, '+1 day')
				AND result NOT IN ('OK', 'OFFLINE_OK') GROUP BY 1, 2, 3 ORDER BY 1, 2, 4 DESC, 3`}},
	{name: "breakdown_month_product", report: analytics.ReportBreakdown, interval: usher.IntervalMonth, by: usher.ByProduct, checksum: -1,
		postgres: []string{`SELECT date_trunc('month', tc.access_time)::date, om.movement_id IS NOT NULL, coalesce(om.product, ''),
			count(*) FILTER (WHERE result IN ('OK', 'OFFLINE_OK') AND check_flow = 'IN'),
			count(*) FILTER (WHERE result IN ('OK', 'OFFLINE_OK') AND check_flow = 'OUT'),
			count(*) FILTER (WHERE result NOT IN ('OK', 'OFFLINE_OK'))
			FROM ticket_checks tc
			LEFT JOIN (SELECT DISTINCT ON (l.movement_id) l.institution, l.movement_id, l.product
			           FROM document_heads h JOIN order_lines l ON l.document_id = h.document_id
			           WHERE h.institution = $1 AND h.stream = 'orders' AND l.movement_id IS NOT NULL) om
			  ON om.institution = tc.institution AND om.movement_id = tc.movement_id
			WHERE tc.institution = $1 AND tc.access_time >= $2 AND tc.access_time < $3::date + 1
			GROUP BY 1, 2, 3 ORDER BY 1, 2 DESC, 3`},
		sqlite: []string{`SELECT substr(tc.access_time, 1, 7), om.movement_id IS NOT NULL, coalesce(om.product, ''),
			sum(result IN ('OK', 'OFFLINE_OK') AND check_flow = 'IN'), sum(result IN ('OK', 'OFFLINE_OK') AND check_flow = 'OUT'),
			sum(result NOT IN ('OK', 'OFFLINE_OK'))
			FROM ticket_checks tc
			LEFT JOIN (SELECT l.institution, l.movement_id, l.product
			           FROM document_heads h JOIN order_lines l ON l.document_id = h.document_id
			           WHERE h.institution = ?1 AND h.stream = 'orders' AND l.movement_id IS NOT NULL GROUP BY l.movement_id) om
			  ON om.institution = tc.institution AND om.movement_id = tc.movement_id
			WHERE tc.institution = ?1 AND tc.access_time >= ?2 AND tc.access_time < date(?3, '+1 day')
			GROUP BY 1, 2, 3 ORDER BY 1, 2 DESC, 3`}},
	{name: "contacts_day", report: analytics.ReportContacts, interval: usher.IntervalDay, checksum: 1,
		postgres: []string{`SELECT day, count(*) FILTER (WHERE change = 'new' AND party = 'person'), count(*) FILTER (WHERE change = 'new' AND party = 'company'),
			count(*) FILTER (WHERE change = 'updated' AND party = 'person'), count(*) FILTER (WHERE change = 'updated' AND party = 'company')
			FROM contact_changes WHERE institution = $1 AND day BETWEEN $2 AND $3 GROUP BY 1 ORDER BY 1`},
		sqlite: []string{`SELECT day, sum(change = 'new' AND party = 'person'), sum(change = 'new' AND party = 'company'),
			sum(change = 'updated' AND party = 'person'), sum(change = 'updated' AND party = 'company')
			FROM contact_changes WHERE institution = ?1 AND day BETWEEN ?2 AND ?3 GROUP BY 1 ORDER BY 1`}},
}

// The attendance report also answers the peak hour and today's occupancy.
const (
	pgPeakHour = `SELECT date_trunc('hour', access_time), count(*) FROM ticket_checks
		WHERE institution = $1 AND access_time >= $2 AND access_time < $3::date + 1
		AND result IN ('OK', 'OFFLINE_OK') AND check_flow = 'IN' GROUP BY 1 ORDER BY 2 DESC LIMIT 1`
	pgOccupancy = `SELECT count(*) FILTER (WHERE check_flow = 'IN'), count(*) FILTER (WHERE check_flow = 'OUT') FROM ticket_checks
		WHERE institution = $1 AND access_time >= $4 AND access_time < $4::date + 1 AND result IN ('OK', 'OFFLINE_OK')`
	liteHourPeak = `SELECT substr(access_time, 1, 13), count(*) FROM ticket_checks
		WHERE institution = ?1 AND access_time >= ?2 AND access_time < date(?3, '+1 day')
		AND result IN ('OK', 'OFFLINE_OK') AND check_flow = 'IN' GROUP BY 1 ORDER BY 2 DESC LIMIT 1`
	liteOccupancy = `SELECT sum(check_flow = 'IN'), sum(check_flow = 'OUT') FROM ticket_checks
		WHERE institution = ?1 AND access_time >= ?4 AND access_time < date(?4, '+1 day') AND result IN ('OK', 'OFFLINE_OK')`
)

// sum totals the figure a case's checksum names in an usher result: the
// sale orders, the successful entries, the gate checks, every check of the
// breakdown or the new persons.
func sum(res *analytics.Result) int64 {
	var n int64
	switch rows := res.Rows.(type) {
	case []analytics.SalesRow:
		for _, r := range rows {
			n += r.Orders
		}
	case []analytics.AttendanceRow:
		for _, r := range rows {
			n += r.In
		}
	case []analytics.GateRow:
		for _, r := range rows {
			n += r.Checks
		}
	case []analytics.BreakdownRow:
		for _, r := range rows {
			n += r.In + r.Out + r.Failed
		}
	case []analytics.ContactsRow:
		for _, r := range rows {
			n += r.NewPersons
		}
	}
	return n
}

// rangeOf returns the first and last day a case covers in a venue of size.
func rangeOf(c benchCase, size Size) (from, to time.Time) {
	to = FirstDay.AddDate(0, 0, size.Days-1)
	from = FirstDay
	if c.days > 0 {
		from = to.AddDate(0, 0, -(c.days - 1))
	}
	return from, to
}
