-- name: SalesTotals
-- Statements of the analytics area: the reports' reads of the rollups.
-- Parameters: ?1 institution, ?2 and ?3 the first day (or hour) read and
-- the first not read, ?4 the interval grouping them, ?5 the dimension.
-- A period is written as its first day ('YYYY-MM-DD'), or hour
-- ('YYYY-MM-DDTHH'); weeks start on Monday.
SELECT CASE ?4 WHEN 'week' THEN date(day, '-6 days', 'weekday 1') WHEN 'month' THEN substr(day, 1, 7) || '-01' ELSE day END AS period,
       label, kind, sum(orders), sum(tickets), sum(gross), sum(refunded)
FROM sales_daily WHERE institution = ?1 AND day >= ?2 AND day < ?3 AND dimension = ?5
GROUP BY period, label, kind ORDER BY period, label, kind;

-- name: LatestOrderBody
SELECT body FROM documents WHERE institution = ? AND stream = 'orders' ORDER BY received_at DESC LIMIT 1;

-- name: AttendanceTotals
SELECT CASE ?4 WHEN 'hour' THEN hour WHEN 'week' THEN date(substr(hour, 1, 10), '-6 days', 'weekday 1')
                WHEN 'month' THEN substr(hour, 1, 7) || '-01' ELSE substr(hour, 1, 10) END AS period,
       check_flow, ok, sum(checks)
FROM attendance_hourly WHERE institution = ?1 AND hour >= ?2 AND hour < ?3
GROUP BY period, check_flow, ok ORDER BY period;

-- name: GateTotals
SELECT CASE ?4 WHEN 'week' THEN date(day, '-6 days', 'weekday 1') WHEN 'month' THEN substr(day, 1, 7) || '-01' ELSE day END AS period,
       CASE ?5 WHEN 'flow' THEN check_flow ELSE gate END AS grp, result, failure_reason, sum(checks)
FROM gate_daily WHERE institution = ?1 AND day >= ?2 AND day < ?3
GROUP BY period, grp, failure_reason, result ORDER BY period, grp, failure_reason;

-- name: BreakdownTotals
SELECT CASE ?4 WHEN 'week' THEN date(day, '-6 days', 'weekday 1') WHEN 'month' THEN substr(day, 1, 7) || '-01' ELSE day END AS period,
       matched, label, check_flow, ok, sum(checks)
FROM attendance_movement_daily WHERE institution = ?1 AND day >= ?2 AND day < ?3 AND dimension = ?5
GROUP BY period, matched, label, check_flow, ok ORDER BY period, matched DESC, label;

-- name: ContactTotals
SELECT CASE ?4 WHEN 'week' THEN date(day, '-6 days', 'weekday 1') WHEN 'month' THEN substr(day, 1, 7) || '-01' ELSE day END AS period,
       party, change, sum(contacts)
FROM contacts_daily WHERE institution = ?1 AND day >= ?2 AND day < ?3
GROUP BY period, party, change ORDER BY period;

-- name: StreamActivity
-- Ticket checks are stored one a row in ticket_checks, not in documents.
SELECT (SELECT max(t) FROM (SELECT max(received_at) AS t FROM documents WHERE institution = ?1 AND stream = ?2
                            UNION ALL SELECT max(received_at) FROM ticket_checks WHERE institution = ?1 AND ?2 = 'ticketchecks'
                            UNION ALL SELECT max(last_seen_at) FROM quarantine WHERE institution = ?1 AND stream = ?2)),
       (SELECT count(*) FROM documents WHERE institution = ?1 AND stream = ?2 AND received_at >= ?3)
       + (SELECT count(*) FROM ticket_checks WHERE institution = ?1 AND ?2 = 'ticketchecks' AND received_at >= ?3);
