-- name: SalesTotals
-- Statements of the analytics area: the reports' reads of the rollups.
-- Parameters: $1 institution, $2 and $3 the first day (or hour) read and
-- the first not read, $4 the interval grouping them (a date_trunc field),
-- $5 the dimension.
SELECT date_trunc($4::text, day)::date AS period, label, kind,
       sum(orders)::bigint, sum(tickets)::bigint, sum(gross)::bigint, sum(refunded)::bigint
FROM sales_daily WHERE institution = $1 AND day >= $2 AND day < $3 AND dimension = $5
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

-- name: LatestOrderBody
SELECT body FROM documents WHERE institution = $1 AND stream = 'orders' ORDER BY received_at DESC LIMIT 1;

-- name: AttendanceTotals
SELECT date_trunc($4::text, hour) AS period, check_flow, ok, sum(checks)::bigint
FROM attendance_hourly WHERE institution = $1 AND hour >= $2 AND hour < $3
GROUP BY 1, 2, 3 ORDER BY 1;

-- name: GateTotals
SELECT date_trunc($4::text, day)::date AS period, CASE WHEN $5::text = 'flow' THEN check_flow ELSE gate END AS grp,
       result, failure_reason, sum(checks)::bigint
FROM gate_daily WHERE institution = $1 AND day >= $2 AND day < $3
GROUP BY 1, 2, 4, 3 ORDER BY 1, 2, 4;

-- name: BreakdownTotals
SELECT date_trunc($4::text, day)::date AS period, matched, label, check_flow, ok, sum(checks)::bigint
FROM attendance_movement_daily WHERE institution = $1 AND day >= $2 AND day < $3 AND dimension = $5
GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2 DESC, 3;

-- name: ContactTotals
SELECT date_trunc($4::text, day)::date AS period, party, change, sum(contacts)::bigint
FROM contacts_daily WHERE institution = $1 AND day >= $2 AND day < $3
GROUP BY 1, 2, 3 ORDER BY 1;

-- name: StreamActivity
-- Ticket checks are stored one a row in ticket_checks, not in documents.
SELECT GREATEST((SELECT max(received_at) FROM documents WHERE institution = $1 AND stream = $2),
                (SELECT max(received_at) FROM ticket_checks WHERE institution = $1 AND $2 = 'ticketchecks'),
                (SELECT max(last_seen_at) FROM quarantine WHERE institution = $1 AND stream = $2)),
       (SELECT count(*) FROM documents WHERE institution = $1 AND stream = $2 AND received_at >= $3)
       + (SELECT count(*) FROM ticket_checks WHERE institution = $1 AND $2 = 'ticketchecks' AND received_at >= $3);
