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
