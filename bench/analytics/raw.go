package analytics

import (
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
)

// A case is one report question: how usher answers it (through the
// analytics service) and how it is asked in plain SQL on the raw tables
// (ticket_checks, documents, document_heads), without usher's rollups:
// lean SQL a DBA would write for the reference order shape, not usher's
// defensive views.
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
			FROM (SELECT day, ` + pgKind + ` AS kind, sum(CASE WHEN neg THEN -1 ELSE 1 END) AS tickets,
			             sum(CASE WHEN neg THEN 0 ELSE amount END) AS gross, sum(CASE WHEN neg THEN abs(amount) ELSE 0 END) AS refunded
			      FROM (` + pgLines + `) l GROUP BY id, day, state, type) o
			WHERE day BETWEEN $2 AND $3 GROUP BY day ORDER BY day`},
		sqlite: []string{`SELECT day, sum(kind = 'sale'), sum(kind = 'refund'),
			sum(CASE WHEN kind IN ('sale', 'refund') THEN tickets END), sum(CASE WHEN kind IN ('sale', 'refund') THEN gross END),
			sum(CASE WHEN kind IN ('sale', 'refund') THEN refunded END), sum(kind = 'abandoned'),
			sum(CASE WHEN kind = 'abandoned' THEN gross END), sum(kind = 'pending')
			FROM (SELECT day, ` + liteKind + ` AS kind, sum(CASE WHEN neg THEN -1 ELSE 1 END) AS tickets,
			             sum(CASE WHEN neg THEN 0 ELSE amount END) AS gross, sum(CASE WHEN neg THEN abs(amount) ELSE 0 END) AS refunded
			      FROM (` + liteLines + `) GROUP BY id)
			WHERE day BETWEEN ?2 AND ?3 GROUP BY day ORDER BY day`}},
	{name: "sales_month_product", report: analytics.ReportSales, interval: usher.IntervalMonth, by: usher.ByProduct, checksum: 2,
		postgres: []string{`SELECT date_trunc('month', day)::date, product,
			count(DISTINCT id) FILTER (WHERE kind = 'sale'), count(DISTINCT id) FILTER (WHERE kind = 'refund'),
			sum(CASE WHEN neg THEN -1 ELSE 1 END) FILTER (WHERE kind IN ('sale', 'refund')),
			sum(CASE WHEN neg THEN 0 ELSE amount END) FILTER (WHERE kind IN ('sale', 'refund')),
			sum(CASE WHEN neg THEN abs(amount) ELSE 0 END) FILTER (WHERE kind IN ('sale', 'refund')),
			count(DISTINCT id) FILTER (WHERE kind = 'abandoned'), sum(amount) FILTER (WHERE kind = 'abandoned'),
			count(DISTINCT id) FILTER (WHERE kind = 'pending')
			FROM (SELECT *, ` + pgKind + ` AS kind FROM (` + pgLines + `) l) k
			WHERE day BETWEEN $2 AND $3 GROUP BY 1, 2 ORDER BY 1, 2`},
		sqlite: []string{`SELECT substr(day, 1, 7), product,
			count(DISTINCT CASE WHEN kind = 'sale' THEN id END), count(DISTINCT CASE WHEN kind = 'refund' THEN id END),
			sum(CASE WHEN kind IN ('sale', 'refund') THEN CASE WHEN neg THEN -1 ELSE 1 END END),
			sum(CASE WHEN kind IN ('sale', 'refund') AND NOT neg THEN amount END),
			sum(CASE WHEN kind IN ('sale', 'refund') AND neg THEN abs(amount) END),
			count(DISTINCT CASE WHEN kind = 'abandoned' THEN id END), sum(CASE WHEN kind = 'abandoned' THEN amount END),
			count(DISTINCT CASE WHEN kind = 'pending' THEN id END)
			FROM (SELECT *, ` + liteKind + ` AS kind FROM (` + liteLines + `))
			WHERE day BETWEEN ?2 AND ?3 GROUP BY 1, 2 ORDER BY 1, 2`}},
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
		postgres: []string{`SELECT date_trunc('month', tc.access_time)::date, m.movement_id IS NOT NULL, coalesce(m.product, ''),
			count(*) FILTER (WHERE result IN ('OK', 'OFFLINE_OK') AND check_flow = 'IN'),
			count(*) FILTER (WHERE result IN ('OK', 'OFFLINE_OK') AND check_flow = 'OUT'),
			count(*) FILTER (WHERE result NOT IN ('OK', 'OFFLINE_OK'))
			FROM ticket_checks tc LEFT JOIN (` + pgLines + `) m ON m.movement_id = tc.movement_id
			WHERE tc.institution = $1 AND tc.access_time >= $2 AND tc.access_time < $3::date + 1
			GROUP BY 1, 2, 3 ORDER BY 1, 2 DESC, 3`},
		sqlite: []string{`WITH m AS MATERIALIZED (` + liteLines + `)
			SELECT substr(tc.access_time, 1, 7), m.movement_id IS NOT NULL, coalesce(m.product, ''),
			sum(result IN ('OK', 'OFFLINE_OK') AND check_flow = 'IN'), sum(result IN ('OK', 'OFFLINE_OK') AND check_flow = 'OUT'),
			sum(result NOT IN ('OK', 'OFFLINE_OK'))
			FROM ticket_checks tc LEFT JOIN m ON m.movement_id = tc.movement_id
			WHERE tc.institution = ?1 AND tc.access_time >= ?2 AND tc.access_time < date(?3, '+1 day')
			GROUP BY 1, 2, 3 ORDER BY 1, 2 DESC, 3`}},
	{name: "contacts_day", report: analytics.ReportContacts, interval: usher.IntervalDay, checksum: 1,
		postgres: []string{`SELECT day, count(*) FILTER (WHERE version = 1 AND NOT company), count(*) FILTER (WHERE version = 1 AND company),
			count(*) FILTER (WHERE version > 1 AND NOT company), count(*) FILTER (WHERE version > 1 AND company)
			FROM (SELECT version, body ->> 'type' = 'STRUCTURE' AS company,
			             left(CASE WHEN version = 1 THEN body ->> 'creationDate' ELSE body ->> 'lastUpdateDate' END, 10)::date AS day
			      FROM documents WHERE institution = $1 AND stream = 'contacts') c
			WHERE day BETWEEN $2 AND $3 GROUP BY 1 ORDER BY 1`},
		sqlite: []string{`SELECT day, sum(version = 1 AND NOT company), sum(version = 1 AND company),
			sum(version > 1 AND NOT company), sum(version > 1 AND company)
			FROM (SELECT version, body ->> '$.type' = 'STRUCTURE' AS company,
			             substr(CASE WHEN version = 1 THEN body ->> '$.creationDate' ELSE body ->> '$.lastUpdateDate' END, 1, 10) AS day
			      FROM documents WHERE institution = ?1 AND stream = 'contacts')
			WHERE day BETWEEN ?2 AND ?3 GROUP BY 1 ORDER BY 1`}},
}

// The movements of the current order versions, one row each, with what
// the raw queries need of their order.
const (
	pgLines = `SELECT d.id, left(o ->> 'creationDateTime', 10)::date AS day, o ->> 'orderState' AS state, o ->> 'orderType' AS type,
		op ->> 'product' AS product, (mv ->> 'movementId')::bigint AS movement_id, (mv ->> 'amount')::bigint AS amount,
		(mv ->> 'amount')::bigint < 0 OR mv ->> 'movementType' = 'REFUND' OR o ->> 'orderType' = 'REFUND' AS neg
		FROM document_heads h JOIN documents d ON d.id = h.document_id
		CROSS JOIN LATERAL (SELECT d.body -> 'orderDetailsData' AS o) x
		CROSS JOIN LATERAL jsonb_array_elements(o -> 'operationDatas') op
		CROSS JOIN LATERAL jsonb_array_elements(op -> 'movementDatas') mv
		WHERE h.institution = $1 AND h.stream = 'orders'`
	pgKind = `CASE WHEN state = 'ABANDONNED' THEN 'abandoned' WHEN type = 'REFUND' THEN 'refund'
		WHEN type IN ('RESERVATION', 'OPTION') THEN 'pending' ELSE 'sale' END`
	liteLines = `SELECT id, substr(created, 1, 10) AS day, state, type, product, movement_id, amount,
		amount < 0 OR movement_type = 'REFUND' OR type = 'REFUND' AS neg
		FROM (SELECT d.id, d.body ->> '$.orderDetailsData.creationDateTime' AS created,
		             d.body ->> '$.orderDetailsData.orderState' AS state, d.body ->> '$.orderDetailsData.orderType' AS type,
		             op.value ->> '$.product' AS product, CAST(mv.value ->> '$.movementId' AS INTEGER) AS movement_id,
		             CAST(mv.value ->> '$.amount' AS INTEGER) AS amount, mv.value ->> '$.movementType' AS movement_type
		      FROM document_heads h JOIN documents d ON d.id = h.document_id,
		           json_each(d.body, '$.orderDetailsData.operationDatas') op, json_each(op.value, '$.movementDatas') mv
		      WHERE h.institution = ?1 AND h.stream = 'orders')`
	liteKind = pgKind
)

// The attendance report also answers the peak hour and today's occupancy.
const (
	pgPeakHour = `SELECT date_trunc('hour', access_time), count(*) FROM ticket_checks
		WHERE institution = $1 AND access_time >= $2 AND access_time < $3::date + 1
		AND result IN ('OK', 'OFFLINE_OK') AND check_flow = 'IN' GROUP BY 1 ORDER BY 2 DESC LIMIT 1`
	pgOccupancy = `SELECT count(*) FILTER (WHERE check_flow = 'IN'), count(*) FILTER (WHERE check_flow = 'OUT') FROM ticket_checks
		WHERE institution = $1 AND access_time >= $2 AND access_time < $2::date + 1 AND result IN ('OK', 'OFFLINE_OK')`
	liteHourPeak = `SELECT substr(access_time, 1, 13), count(*) FROM ticket_checks
		WHERE institution = ?1 AND access_time >= ?2 AND access_time < date(?3, '+1 day')
		AND result IN ('OK', 'OFFLINE_OK') AND check_flow = 'IN' GROUP BY 1 ORDER BY 2 DESC LIMIT 1`
	liteOccupancy = `SELECT sum(check_flow = 'IN'), sum(check_flow = 'OUT') FROM ticket_checks
		WHERE institution = ?1 AND access_time >= ?2 AND access_time < date(?2, '+1 day') AND result IN ('OK', 'OFFLINE_OK')`
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
