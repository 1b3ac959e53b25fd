package analytics

import (
	"strconv"
	"time"

	"github.com/usher-hub/usher"
)

// Result is one report as every face shows it: the JSON body of the API,
// the rows of the CSV export, the tables and charts of the dashboard and
// the output of `usher report`. Rows and Reasons are slices of the row
// types below, whose json tags name the CSV columns too.
type Result struct {
	Report      Report         `json:"report"`
	Institution string         `json:"institution"`
	From        string         `json:"from"`
	To          string         `json:"to"`
	Interval    usher.Interval `json:"interval"`
	By          string         `json:"by,omitempty"`
	// Currency is the ISO code of the orders' money (sales only).
	Currency string `json:"currency,omitempty"`
	Rows     any    `json:"rows"`
	// Reasons are the failure reasons of the gates report.
	Reasons any `json:"reasons,omitempty"`
	Summary any `json:"summary,omitempty"`
}

// Money is an amount in currency units, written as an exact decimal
// number (69.00) in JSON and CSV.
type Money usher.Money

// MarshalJSON writes m as a JSON number with two or three decimals.
func (m Money) MarshalJSON() ([]byte, error) { return []byte(usher.Money(m).String()), nil }

func (m Money) String() string { return usher.Money(m).String() }

// Ratio is a share between 0 and 1, written with four decimals.
type Ratio float64

// MarshalJSON writes r with four decimals.
func (r Ratio) MarshalJSON() ([]byte, error) { return []byte(r.String()), nil }

func (r Ratio) String() string { return strconv.FormatFloat(float64(r), 'f', 4, 64) }

func ratio(part, whole int64) Ratio {
	if whole == 0 {
		return 0
	}
	return Ratio(float64(part) / float64(whole))
}

// SalesRow is one row of the sales report, money in currency units.
type SalesRow struct {
	Period          string `json:"period"`
	Label           string `json:"label"`
	Orders          int64  `json:"orders"`
	RefundOrders    int64  `json:"refund_orders"`
	Tickets         int64  `json:"tickets"`
	Gross           Money  `json:"gross"`
	Refunded        Money  `json:"refunded"`
	Revenue         Money  `json:"revenue"`
	AbandonedOrders int64  `json:"abandoned_orders"`
	AbandonedAmount Money  `json:"abandoned_amount"`
	PendingOrders   int64  `json:"pending_orders"`
}

// AttendanceRow is one row of the attendance report.
type AttendanceRow struct {
	Period string `json:"period"`
	In     int64  `json:"in"`
	Out    int64  `json:"out"`
	Failed int64  `json:"failed"`
}

// AttendanceSummary holds the attendance figures that are not per period.
type AttendanceSummary struct {
	// PeakHour is the hour with the most successful entries in the range,
	// "" when nobody entered.
	PeakHour  string    `json:"peak_hour"`
	PeakIn    int64     `json:"peak_in"`
	TotalIn   int64     `json:"total_in"`
	TotalOut  int64     `json:"total_out"`
	Failed    int64     `json:"failed"`
	Occupancy Occupancy `json:"occupancy"`
}

// Occupancy is who is inside now: today's successful entries minus exits,
// today being the venue's date.
type Occupancy struct {
	Date   string `json:"date"`
	In     int64  `json:"in"`
	Out    int64  `json:"out"`
	Inside int64  `json:"inside"`
}

// GateRow is one row of the gate-quality report.
type GateRow struct {
	Period   string `json:"period"`
	Group    string `json:"group"`
	Checks   int64  `json:"checks"`
	Failed   int64  `json:"failed"`
	FailRate Ratio  `json:"fail_rate"`
}

// ReasonRow counts refused checks of one period, group and reason.
type ReasonRow struct {
	Period string `json:"period"`
	Group  string `json:"group"`
	Reason string `json:"reason"`
	Checks int64  `json:"checks"`
}

// BreakdownRow is one row of the attendance breakdown.
type BreakdownRow struct {
	Period  string `json:"period"`
	Matched bool   `json:"matched"`
	Label   string `json:"label"`
	In      int64  `json:"in"`
	Out     int64  `json:"out"`
	Failed  int64  `json:"failed"`
}

// BreakdownSummary counts the checks that could and could not be joined
// to an order movement; unmatched checks are never left out.
type BreakdownSummary struct {
	MatchedChecks   int64 `json:"matched_checks"`
	UnmatchedChecks int64 `json:"unmatched_checks"`
	UnmatchedShare  Ratio `json:"unmatched_share"`
}

// ContactsRow is one row of the contacts report.
type ContactsRow struct {
	Period           string `json:"period"`
	NewPersons       int64  `json:"new_persons"`
	NewCompanies     int64  `json:"new_companies"`
	UpdatedPersons   int64  `json:"updated_persons"`
	UpdatedCompanies int64  `json:"updated_companies"`
}

func salesRows(rows []usher.SalesRow, iv usher.Interval) []SalesRow {
	out := make([]SalesRow, len(rows))
	for i, r := range rows {
		out[i] = SalesRow{Period: FormatPeriod(r.Period, iv), Label: r.Label, Orders: r.Orders, RefundOrders: r.RefundOrders,
			Tickets: r.Tickets, Gross: Money(r.Gross), Refunded: Money(r.Refunded), Revenue: Money(r.Revenue()),
			AbandonedOrders: r.AbandonedOrders, AbandonedAmount: Money(r.AbandonedAmount), PendingOrders: r.PendingOrders}
	}
	return out
}

func attendanceRows(rows []usher.AttendanceRow, iv usher.Interval) []AttendanceRow {
	out := make([]AttendanceRow, len(rows))
	for i, r := range rows {
		out[i] = AttendanceRow{Period: FormatPeriod(r.Period, iv), In: r.In, Out: r.Out, Failed: r.Failed}
	}
	return out
}

func gateRows(rows []usher.GateRow, iv usher.Interval) []GateRow {
	out := make([]GateRow, len(rows))
	for i, r := range rows {
		out[i] = GateRow{Period: FormatPeriod(r.Period, iv), Group: r.Group, Checks: r.Checks, Failed: r.Failed, FailRate: ratio(r.Failed, r.Checks)}
	}
	return out
}

func reasonRows(rows []usher.FailureReasonRow, iv usher.Interval) []ReasonRow {
	out := make([]ReasonRow, len(rows))
	for i, r := range rows {
		out[i] = ReasonRow{Period: FormatPeriod(r.Period, iv), Group: r.Group, Reason: r.Reason, Checks: r.Checks}
	}
	return out
}

func breakdownRows(rows []usher.BreakdownRow, iv usher.Interval) ([]BreakdownRow, BreakdownSummary) {
	out := make([]BreakdownRow, len(rows))
	var sum BreakdownSummary
	for i, r := range rows {
		out[i] = BreakdownRow{Period: FormatPeriod(r.Period, iv), Matched: r.Matched, Label: r.Label, In: r.In, Out: r.Out, Failed: r.Failed}
		if r.Matched {
			sum.MatchedChecks += r.In + r.Out + r.Failed
		} else {
			sum.UnmatchedChecks += r.In + r.Out + r.Failed
		}
	}
	sum.UnmatchedShare = ratio(sum.UnmatchedChecks, sum.MatchedChecks+sum.UnmatchedChecks)
	return out, sum
}

func contactsRows(rows []usher.ContactsRow, iv usher.Interval) []ContactsRow {
	out := make([]ContactsRow, len(rows))
	for i, r := range rows {
		out[i] = ContactsRow{Period: FormatPeriod(r.Period, iv), NewPersons: r.NewPersons, NewCompanies: r.NewCompanies,
			UpdatedPersons: r.UpdatedPersons, UpdatedCompanies: r.UpdatedCompanies}
	}
	return out
}

// periods lists the start of every period of q, so that reports without a
// breakdown show empty periods as zeros instead of leaving gaps.
func periods(q usher.ReportQuery) []time.Time {
	var out []time.Time
	end := q.To.AddDate(0, 0, 1)
	for t := periodStart(q.From, q.Interval); t.Before(end); t = nextPeriod(t, q.Interval) {
		out = append(out, t)
	}
	return out
}

func periodStart(t time.Time, iv usher.Interval) time.Time {
	switch iv {
	case usher.IntervalWeek:
		return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
	case usher.IntervalMonth:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return t
}

func nextPeriod(t time.Time, iv usher.Interval) time.Time {
	switch iv {
	case usher.IntervalHour:
		return t.Add(time.Hour)
	case usher.IntervalWeek:
		return t.AddDate(0, 0, 7)
	case usher.IntervalMonth:
		return t.AddDate(0, 1, 0)
	}
	return t.AddDate(0, 0, 1)
}

// fill returns one row per period of q: the row the store returned for it,
// or zero made by blank.
func fill[T any](q usher.ReportQuery, rows []T, period func(T) time.Time, blank func(time.Time) T) []T {
	byPeriod := make(map[time.Time]T, len(rows))
	for _, r := range rows {
		byPeriod[period(r)] = r
	}
	ps := periods(q)
	out := make([]T, len(ps))
	for i, p := range ps {
		r, ok := byPeriod[p]
		if !ok {
			r = blank(p)
		}
		out[i] = r
	}
	return out
}
