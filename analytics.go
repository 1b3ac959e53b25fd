package usher

import (
	"context"
	"strconv"
	"time"
)

// Interval is the width of one report period.
type Interval string

// The report intervals. Weeks start on Monday (ISO 8601).
const (
	IntervalHour  Interval = "hour"
	IntervalDay   Interval = "day"
	IntervalWeek  Interval = "week"
	IntervalMonth Interval = "month"
)

// The breakdowns a report can be asked for (ReportQuery.By).
const (
	ByAll      = "all"      // sales: one row per period
	ByProduct  = "product"  // sales, breakdown: per product
	ByEvent    = "event"    // sales: per event (performance)
	ByGate     = "gate"     // gates: per gate (access point)
	ByFlow     = "flow"     // gates: per check flow (IN, OUT)
	ByAudience = "audience" // breakdown: per audience sub-category (ADULT, CHILD …)
	ByCategory = "category" // breakdown: per main category (OCCASIONAL, MEMBER …)
)

// ReportQuery selects what a report covers. Days and hours are the venue's
// wall clock as S-360 writes it: ticket checks carry no zone at all, so the
// date and hour written in a timestamp are the only reading that agrees
// across streams.
type ReportQuery struct {
	Institution string
	// From and To are the first and last day covered, both included, as
	// dates at midnight UTC.
	From, To time.Time
	Interval Interval
	// By names the breakdown; each report accepts some of the By* values.
	By string
}

// Until is the first day after the days q covers: its reports read rows
// from From included to Until excluded.
func (q ReportQuery) Until() time.Time { return q.To.AddDate(0, 0, 1) }

// CheckDays says whether q's interval groups days: the daily reports
// (sales, gates, breakdown, contacts) cannot be read per hour.
func (q ReportQuery) CheckDays() error {
	switch q.Interval {
	case IntervalDay, IntervalWeek, IntervalMonth:
		return nil
	}
	return Errorf(EINVALID, "interval %q is not available for this report: use day, week or month", q.Interval)
}

// CheckHours says whether q's interval is one the hourly attendance
// report can group by: an hour, or one of the daily ones.
func (q ReportQuery) CheckHours() error {
	if q.Interval == IntervalHour {
		return nil
	}
	return q.CheckDays()
}

// SalesBy is the sales breakdown q asks for: ByAll unless By names one.
// Sales are daily.
func (q ReportQuery) SalesBy() (string, error) {
	if q.By == "" {
		return ByAll, q.CheckDays()
	}
	return q.By, q.CheckDays()
}

// GatesBy is the gate-quality breakdown q asks for: ByGate (the default)
// or ByFlow. Gates are daily.
func (q ReportQuery) GatesBy() (string, error) {
	if err := q.CheckDays(); err != nil {
		return "", err
	}
	switch q.By {
	case ByGate, "":
		return ByGate, nil
	case ByFlow:
		return ByFlow, nil
	}
	return "", Errorf(EINVALID, "gates report: by must be gate or flow, got %q", q.By)
}

// BreakdownBy is the attendance breakdown q asks for: ByProduct (the
// default), ByAudience or ByCategory. Breakdowns are daily.
func (q ReportQuery) BreakdownBy() (string, error) {
	if err := q.CheckDays(); err != nil {
		return "", err
	}
	switch q.By {
	case "":
		return ByProduct, nil
	case ByProduct, ByAudience, ByCategory:
		return q.By, nil
	}
	return "", Errorf(EINVALID, "breakdown report: by must be product, audience or category, got %q", q.By)
}

// CheckAdmitted says whether a check of result let its holder through:
// OK, or OK while the gate was offline. Every other result is a refusal.
func CheckAdmitted(result string) bool { return result == "OK" || result == "OFFLINE_OK" }

// Money is an amount in thousandths of the currency unit, as S-360 sends
// it (40000 is 40.00).
type Money int64

// String formats m in currency units with two decimals, or three when the
// amount has a non-zero thousandth: 40000 is "40.00", -1250 is "-1.25".
func (m Money) String() string {
	n := int64(m)
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	whole, frac := n/1000, n%1000
	if frac%10 == 0 {
		return sign + strconv.FormatInt(whole, 10) + "." + pad(frac/10, 2)
	}
	return sign + strconv.FormatInt(whole, 10) + "." + pad(frac, 3)
}

func pad(n int64, width int) string {
	s := strconv.FormatInt(n, 10)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

// SalesRow is one period (and product or event) of the sales report.
// Orders are classified by state and type: abandoned orders (ABANDONNED)
// and pending ones (options, reservations) are counted apart and never
// enter revenue; refund orders and refund movements are netted.
type SalesRow struct {
	Period time.Time
	// Label is the product or event, "" when the report is not broken down.
	Label string
	// Orders counts closed sale orders; RefundOrders closed refund orders.
	Orders       int64
	RefundOrders int64
	// Tickets is the net count of admissions: sold minus refunded.
	Tickets int64
	// Gross is what was sold, Refunded what was paid back; both positive.
	Gross    Money
	Refunded Money
	// AbandonedOrders and AbandonedAmount describe orders left unfinished.
	AbandonedOrders int64
	AbandonedAmount Money
	// PendingOrders counts options and reservations not yet paid.
	PendingOrders int64
}

// Revenue is the net amount: gross sales minus refunds.
func (r SalesRow) Revenue() Money { return r.Gross - r.Refunded }

// SalesReport is the sales report with the currency the orders are in.
type SalesReport struct {
	// Currency is the ISO code the latest order states, "" if none does.
	Currency string
	Rows     []SalesRow
}

// AttendanceRow counts the checks of one period. In and Out count
// successful checks (result OK or OFFLINE_OK); Failed counts refused ones
// of any flow.
type AttendanceRow struct {
	Period time.Time
	In     int64
	Out    int64
	Failed int64
}

// GateRow is the gate quality of one period and gate (or check flow).
type GateRow struct {
	Period time.Time
	Group  string
	Checks int64
	Failed int64
}

// FailureReasonRow counts refused checks of one period, group and reason.
type FailureReasonRow struct {
	Period time.Time
	Group  string
	Reason string
	Checks int64
}

// GateReport is the gate-quality report: totals and the failure reasons.
type GateReport struct {
	Rows    []GateRow
	Reasons []FailureReasonRow
}

// BreakdownRow is attendance of one period joined to the order movement
// each check admits (through movement_id). Checks whose movement usher has
// not received are reported with Matched false and an empty Label, never
// dropped.
type BreakdownRow struct {
	Period  time.Time
	Matched bool
	Label   string
	In      int64
	Out     int64
	Failed  int64
}

// ContactsRow counts contact changes of one period. A contact is new on
// the creation date of the first version usher receives; every later
// version is an update on its lastUpdateDate.
type ContactsRow struct {
	Period           time.Time
	NewPersons       int64
	NewCompanies     int64
	UpdatedPersons   int64
	UpdatedCompanies int64
}

// StreamHealth says how one push stream of an institution is doing.
type StreamHealth struct {
	Stream Stream
	// LastReceivedAt is when the newest document was stored; nil if none.
	LastReceivedAt *time.Time
	// ReceivedSince counts documents stored since the time asked for.
	ReceivedSince int64
}

// Projection is what one ProjectAnalytics call applied and what it left.
type Projection struct {
	// Checks, Contacts and Orders count what was applied: ticket checks,
	// contact versions, and orders whose current version changed.
	Checks, Contacts, Orders int64
	// Pending counts the entries still queued (a payload's checks or
	// contacts, one order version), and OldestPending is when the oldest
	// of them was stored: how far the reports lag ingest.
	Pending       int64
	OldestPending *time.Time
	// Partial says the call stopped at a batch limit with more of that
	// kind queued: the projector calls again at once instead of waiting.
	Partial bool
	// Busy says another projection was running, so this one read nothing.
	Busy bool
}

// AnalyticsStore answers the venue reports. Engines keep projections
// (rollups per hour or day, order movements) so that a report never reads
// the raw documents. Storing a document only queues it for them: the
// acknowledgement S-360 waits for must not pay for rollups
// (docs/performance.md), so a projector applies the queue shortly after,
// in batches, and reports lag ingest by that much.
type AnalyticsStore interface {
	ReportSales(ctx context.Context, q ReportQuery) (SalesReport, error)
	ReportAttendance(ctx context.Context, q ReportQuery) ([]AttendanceRow, error)
	ReportGates(ctx context.Context, q ReportQuery) (GateReport, error)
	ReportBreakdown(ctx context.Context, q ReportQuery) ([]BreakdownRow, error)
	ReportContacts(ctx context.Context, q ReportQuery) ([]ContactsRow, error)
	// IngestHealth reports the last push and the documents received since
	// since, for each stream of institution.
	IngestHealth(ctx context.Context, institution string, since time.Time) ([]StreamHealth, error)
	// RebuildAnalytics recomputes every projection of institution from the
	// stored documents: after a bulk load, or to repair a projection.
	RebuildAnalytics(ctx context.Context, institution string) error
	// ProjectAnalytics applies queued documents to the projections: every
	// queued check and contact, and the orders of at most orderLimit
	// queued order versions (an order costs far more than a check). One
	// call at a time runs across replicas; a call that finds another
	// running returns at once with Busy set.
	ProjectAnalytics(ctx context.Context, orderLimit int) (Projection, error)
}
