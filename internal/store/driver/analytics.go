package driver

import (
	"context"
	"time"

	"github.com/usher-hub/usher"
)

// ReportRange selects the rollup rows of one report: an institution's
// rows from From (included) to Until (excluded), grouped into periods of
// Interval. By is the rollup's dimension (sales, breakdown) or the
// grouping column (gates: usher.ByGate or usher.ByFlow).
type ReportRange struct {
	Institution string
	From, Until time.Time
	Interval    usher.Interval
	By          string
}

// SalesTotal is sales_daily summed over one period, label and kind.
type SalesTotal struct {
	Period          time.Time
	Label, Kind     string
	Orders, Tickets int64
	Gross, Refunded int64
}

// CheckTotal is a check rollup summed over one period and the columns a
// verb names; the others stay zero.
type CheckTotal struct {
	Period time.Time
	// Group is the gate or check flow (gates), or the label (breakdown).
	Group   string
	Matched bool
	Flow    string
	OK      bool
	Result  string
	Reason  string
	Checks  int64
}

// ContactTotal is contacts_daily summed over one period, party and change.
type ContactTotal struct {
	Period        time.Time
	Party, Change string
	Contacts      int64
}

// StreamActivity is when a stream last received anything (documents or a
// quarantined payload), nil if never, and how many documents since a time.
type StreamActivity struct {
	Last  *time.Time
	Since int64
}

// AnalyticsVerbs are the plain verbs of the analytics area: they read the
// rollups, summed per period, in the order the reports list them.
type AnalyticsVerbs interface {
	// SalesTotals reads sales_daily of dimension r.By, ordered by period,
	// label and kind.
	SalesTotals(ctx context.Context, r ReportRange) ([]SalesTotal, error)
	// LatestOrderBody returns the body of the institution's order stored
	// last, nil if none.
	LatestOrderBody(ctx context.Context, institution string) ([]byte, error)
	// AttendanceTotals reads attendance_hourly per period, flow and ok,
	// ordered by period.
	AttendanceTotals(ctx context.Context, r ReportRange) ([]CheckTotal, error)
	// GateTotals reads gate_daily per period, group (gate or check flow,
	// as r.By), result and failure reason, ordered by period, group and
	// reason.
	GateTotals(ctx context.Context, r ReportRange) ([]CheckTotal, error)
	// BreakdownTotals reads attendance_movement_daily of dimension r.By
	// per period, matched, label, flow and ok, ordered by period, matched
	// first, and label.
	BreakdownTotals(ctx context.Context, r ReportRange) ([]CheckTotal, error)
	// ContactTotals reads contacts_daily per period, party and change,
	// ordered by period.
	ContactTotals(ctx context.Context, r ReportRange) ([]ContactTotal, error)
	// StreamActivity reads the activity of stream: its documents (ticket
	// checks, where the engine stores them) and quarantined payloads.
	StreamActivity(ctx context.Context, institution string, stream usher.Stream, since time.Time) (StreamActivity, error)
}

// AnalyticsLegacy is what the engines still do whole: applying the
// projection queue and rebuilding the projections. Each is one decision
// expressed in its parameters (how many orders, which institution) and
// an engine's own way of holding the rollups' writer: SQLite applies the
// queue in slices of its single writer and rebuilds by requeueing,
// PostgreSQL runs a stored function, and a rebuild in one transaction,
// under an advisory lock shared across replicas.
type AnalyticsLegacy interface {
	// ProjectAnalytics is usher.AnalyticsStore's.
	ProjectAnalytics(ctx context.Context, orderLimit int) (usher.Projection, error)
	// RebuildAnalyticsSteps is usher.AnalyticsStore's RebuildAnalytics,
	// reporting each step.
	RebuildAnalyticsSteps(ctx context.Context, institution string, step func(done, total int)) error
}
