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
