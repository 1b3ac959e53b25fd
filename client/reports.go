package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// ReportName names one venue report (docs/analytics.md).
type ReportName string

// The reports of GET /api/v1/analytics/{institution}/{report}.
const (
	ReportSales      ReportName = "sales"
	ReportAttendance ReportName = "attendance"
	ReportGates      ReportName = "gates"
	ReportBreakdown  ReportName = "breakdown"
	ReportContacts   ReportName = "contacts"
)

// ReportQuery selects a report's range and shape; empty fields take
// usher's defaults (the 30 days up to today, per day, no breakdown).
type ReportQuery struct {
	From, To string // dates, 2006-01-02, both included
	Interval string // hour, day, week or month
	By       string // all, product, event, gate, flow, audience or category
}

func (q ReportQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"from": q.From, "to": q.To, "interval": q.Interval, "by": q.By} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// Report is one report as JSON. Its rows differ per report (see the
// Report schema of docs/openapi.yaml), so they are kept as decoded JSON
// objects; numbers, money included, are json.Number.
type Report struct {
	Report      string         `json:"report"`
	Institution string         `json:"institution"`
	From        string         `json:"from"`
	To          string         `json:"to"`
	Interval    string         `json:"interval"`
	By          string         `json:"by"`
	Currency    string         `json:"currency"`
	Rows        []Row          `json:"rows"`
	Reasons     []Row          `json:"reasons"`
	Summary     map[string]any `json:"summary"`
}

// Row is one row of a report, by column name.
type Row map[string]any

// Text returns the cell as text: "40.00" for money, "2" for a count, ""
// when the row has no such column.
func (r Row) Text(column string) string {
	v, ok := r[column]
	if !ok || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// Report returns one report as JSON.
func (c *Client) Report(ctx context.Context, institution string, report ReportName, q ReportQuery) (*Report, error) {
	var out Report
	if _, err := c.do(ctx, request{method: http.MethodGet, path: pathEscape("api", "v1", "analytics", institution, string(report)), query: q.values()}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReportCSV returns one table of a report as CSV: table is "rows" (or
// empty) or, for the gates report, "reasons".
func (c *Client) ReportCSV(ctx context.Context, institution string, report ReportName, q ReportQuery, table string) ([]byte, error) {
	v := q.values()
	v.Set("format", "csv")
	if table != "" {
		v.Set("table", table)
	}
	return c.do(ctx, request{method: http.MethodGet, path: pathEscape("api", "v1", "analytics", institution, string(report)), query: v}, nil)
}

// IngestHealth is the last push and recent volume of each stream.
type IngestHealth struct {
	Institution string         `json:"institution"`
	WindowHours int            `json:"window_hours"`
	Streams     []StreamHealth `json:"streams"`
}

// StreamHealth is one stream's line of IngestHealth.
type StreamHealth struct {
	Stream         Stream     `json:"stream"`
	LastReceivedAt *time.Time `json:"last_received_at"`
	// Received counts the documents stored in the window.
	Received int64 `json:"received"`
}

// IngestHealth calls GET /api/v1/analytics/{institution}/health.
func (c *Client) IngestHealth(ctx context.Context, institution string) (*IngestHealth, error) {
	var out IngestHealth
	if _, err := c.do(ctx, request{method: http.MethodGet, path: pathEscape("api", "v1", "analytics", institution, "health")}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
