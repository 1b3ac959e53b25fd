package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// The reports read the rollups the projector keeps up with ingest (the
// engines' migration 003); none of them touches the documents. The
// engines sum the rollups per period; what each report counts is decided
// here.

// The kinds of order sales_daily sums (the projection's order kinds).
const (
	kindSale      = "sale"
	kindRefund    = "refund"
	kindAbandoned = "abandoned"
	kindPending   = "pending"
)

// ReportSales answers the sales report: closed sales and refunds make
// the revenue, abandoned and pending orders are counted apart.
func (s *Store) ReportSales(ctx context.Context, q usher.ReportQuery) (usher.SalesReport, error) {
	out := usher.SalesReport{}
	totals, err := readTotals(ctx, q, q.SalesBy, "sales report", s.d.SalesTotals)
	if err != nil {
		return out, err
	}
	out.Rows = group(totals, func(t driver.SalesTotal) rowKey { return rowKey{t.Period, t.Label} },
		func(t driver.SalesTotal) int64 { return t.Orders }, positive,
		func(t driver.SalesTotal) usher.SalesRow { return usher.SalesRow{Period: t.Period, Label: t.Label} },
		addSale)
	body, err := s.d.LatestOrderBody(ctx, q.Institution)
	if err != nil {
		return out, reportUnavailable("sales currency", err)
	}
	out.Currency = orderCurrency(body)
	return out, nil
}

// addSale counts t's orders into r by their kind.
func addSale(r *usher.SalesRow, t driver.SalesTotal) {
	switch t.Kind {
	case kindSale, kindRefund:
		if t.Kind == kindSale {
			r.Orders += t.Orders
		} else {
			r.RefundOrders += t.Orders
		}
		r.Tickets += t.Tickets
		r.Gross += usher.Money(t.Gross)
		r.Refunded += usher.Money(t.Refunded)
	case kindAbandoned:
		r.AbandonedOrders += t.Orders
		r.AbandonedAmount += usher.Money(t.Gross)
	case kindPending:
		r.PendingOrders += t.Orders
	}
}

// orderCurrency is the currency code an order body states: in its
// orderDetailsData, else at its top, "" if neither does.
func orderCurrency(body []byte) string {
	var order, details map[string]json.RawMessage
	if json.Unmarshal(body, &order) != nil {
		return ""
	}
	if json.Unmarshal(order["orderDetailsData"], &details) == nil {
		if code, ok := jsonText(details["currencyCode"]); ok {
			return code
		}
	}
	code, _ := jsonText(order["currencyCode"])
	return code
}

// jsonText is v as text (a string unquoted, any other scalar as written),
// and false if v is missing, null or not a scalar, as SQL's ->> reads it.
func jsonText(v json.RawMessage) (string, bool) {
	var s string
	switch {
	case len(v) == 0 || string(v) == "null":
		return "", false
	case json.Unmarshal(v, &s) == nil:
		return s, true
	case v[0] == '{' || v[0] == '[':
		return "", false
	}
	return string(v), true
}

// ReportAttendance answers the attendance report: admitted checks per
// flow, refused ones of any flow.
func (s *Store) ReportAttendance(ctx context.Context, q usher.ReportQuery) ([]usher.AttendanceRow, error) {
	totals, err := readTotals(ctx, q, unbroken(q.CheckHours), "attendance report", s.d.AttendanceTotals)
	if err != nil {
		return nil, err
	}
	return group(totals, func(t driver.CheckTotal) time.Time { return t.Period }, checks, positive,
		func(t driver.CheckTotal) usher.AttendanceRow { return usher.AttendanceRow{Period: t.Period} },
		func(r *usher.AttendanceRow, t driver.CheckTotal) { countCheck(&r.In, &r.Out, &r.Failed, t) }), nil
}

// countCheck adds t's checks to in, out or failed.
func countCheck(in, out, failed *int64, t driver.CheckTotal) {
	switch {
	case !t.OK:
		*failed += t.Checks
	case t.Flow == "IN":
		*in += t.Checks
	case t.Flow == "OUT":
		*out += t.Checks
	}
}

func checks(t driver.CheckTotal) int64 { return t.Checks }

// rowKey is a row of a report: a period and the label of its group (a
// gate or flow, a product, a channel …).
type rowKey struct {
	period time.Time
	label  string
}

// ReportGates answers the gate-quality report: checks and refusals per
// gate or flow, and the refusals' reasons, the most frequent first.
func (s *Store) ReportGates(ctx context.Context, q usher.ReportQuery) (usher.GateReport, error) {
	var out usher.GateReport
	totals, err := readTotals(ctx, q, q.GatesBy, "gates report", s.d.GateTotals)
	if err != nil {
		return out, err
	}
	out.Rows = group(totals, func(t driver.CheckTotal) rowKey { return rowKey{t.Period, t.Group} }, checks, positive,
		func(t driver.CheckTotal) usher.GateRow { return usher.GateRow{Period: t.Period, Group: t.Group} },
		func(r *usher.GateRow, t driver.CheckTotal) {
			r.Checks += t.Checks
			if !usher.CheckAdmitted(t.Result) {
				r.Failed += t.Checks
			}
		})
	out.Reasons = failureReasons(totals)
	return out, nil
}

// failureReasons counts the refused checks of totals per period, group
// and reason, the most frequent reason of a group first.
func failureReasons(totals []driver.CheckTotal) []usher.FailureReasonRow {
	var refused []driver.CheckTotal
	for _, t := range totals {
		if !usher.CheckAdmitted(t.Result) {
			refused = append(refused, t)
		}
	}
	type key struct {
		rowKey
		reason string
	}
	out := group(refused, func(t driver.CheckTotal) key { return key{rowKey{t.Period, t.Group}, t.Reason} }, checks, positive,
		func(t driver.CheckTotal) usher.FailureReasonRow {
			return usher.FailureReasonRow{Period: t.Period, Group: t.Group, Reason: t.Reason}
		},
		func(r *usher.FailureReasonRow, t driver.CheckTotal) { r.Checks += t.Checks })
	// The engine ordered the reasons of a group by name: a stable sort
	// by count keeps that order between reasons counted alike.
	for i := 0; i < len(out); {
		j := i + 1
		for j < len(out) && out[j].Period == out[i].Period && out[j].Group == out[i].Group {
			j++
		}
		slices.SortStableFunc(out[i:j], func(a, b usher.FailureReasonRow) int { return cmp.Compare(b.Checks, a.Checks) })
		i = j
	}
	return out
}

// ReportBreakdown answers attendance per product or customer type,
// checks whose movement usher has not received included, unmatched.
func (s *Store) ReportBreakdown(ctx context.Context, q usher.ReportQuery) ([]usher.BreakdownRow, error) {
	totals, err := readTotals(ctx, q, q.BreakdownBy, "breakdown report", s.d.BreakdownTotals)
	if err != nil {
		return nil, err
	}
	type key struct {
		rowKey
		matched bool
	}
	// Checks moving between unmatched and matched rows can leave a row's
	// sum below zero for a while: only empty rows are left out.
	return group(totals, func(t driver.CheckTotal) key { return key{rowKey{t.Period, t.Group}, t.Matched} }, checks,
		func(n int64) bool { return n != 0 },
		func(t driver.CheckTotal) usher.BreakdownRow {
			return usher.BreakdownRow{Period: t.Period, Matched: t.Matched, Label: t.Group}
		},
		func(r *usher.BreakdownRow, t driver.CheckTotal) { countCheck(&r.In, &r.Out, &r.Failed, t) }), nil
}

// ReportContacts answers new and updated contacts, persons and
// companies apart.
func (s *Store) ReportContacts(ctx context.Context, q usher.ReportQuery) ([]usher.ContactsRow, error) {
	totals, err := readTotals(ctx, q, unbroken(q.CheckDays), "contacts report", s.d.ContactTotals)
	if err != nil {
		return nil, err
	}
	return group(totals, func(t driver.ContactTotal) time.Time { return t.Period },
		func(t driver.ContactTotal) int64 { return t.Contacts }, positive,
		func(t driver.ContactTotal) usher.ContactsRow { return usher.ContactsRow{Period: t.Period} },
		addContacts), nil
}

// addContacts counts t's contacts into r by change and party.
func addContacts(r *usher.ContactsRow, t driver.ContactTotal) {
	switch {
	case t.Change == "new" && t.Party == "person":
		r.NewPersons += t.Contacts
	case t.Change == "new" && t.Party == "company":
		r.NewCompanies += t.Contacts
	case t.Change == "updated" && t.Party == "person":
		r.UpdatedPersons += t.Contacts
	case t.Change == "updated" && t.Party == "company":
		r.UpdatedCompanies += t.Contacts
	}
}

// readTotals reads the rollup totals of the report called what with
// verb, once by has checked q and told its breakdown.
func readTotals[T any](ctx context.Context, q usher.ReportQuery, by func() (string, error), what string,
	verb func(context.Context, driver.ReportRange) ([]T, error)) ([]T, error) {
	b, err := by()
	if err != nil {
		return nil, err
	}
	r := driver.ReportRange{Institution: q.Institution, From: q.From, Until: q.Until(), Interval: q.Interval, By: b}
	totals, err := verb(ctx, r)
	if err != nil {
		return nil, reportUnavailable(what, err)
	}
	return totals, nil
}

// unbroken is the breakdown of a report that has none, once check has
// checked its query.
func unbroken(check func() error) func() (string, error) {
	return func() (string, error) { return "", check() }
}

// group folds totals into report rows, as SQL's GROUP BY and HAVING: a
// row (made by row, filled by add) for each run of totals of the same
// key, which the engine sorted adjacent, left out unless the sum of its
// totals' count passes kept.
func group[T any, K comparable, R any](totals []T, key func(T) K, count func(T) int64, kept func(int64) bool, row func(T) R, add func(*R, T)) []R {
	var out []R
	var sum int64
	drop := func() {
		if len(out) > 0 && !kept(sum) {
			out = out[:len(out)-1]
		}
	}
	for i, t := range totals {
		if i == 0 || key(t) != key(totals[i-1]) {
			drop()
			out, sum = append(out, row(t)), 0
		}
		sum += count(t)
		add(&out[len(out)-1], t)
	}
	drop()
	if len(out) == 0 {
		return nil
	}
	return out
}

func positive(n int64) bool { return n > 0 }

// IngestHealth reports each stream's last push and the documents
// received since since. A payload whose documents were all quarantined
// was still received: it counts as a push too, so the last push does not
// go stale.
func (s *Store) IngestHealth(ctx context.Context, institution string, since time.Time) ([]usher.StreamHealth, error) {
	out := make([]usher.StreamHealth, 0, len(usher.Streams))
	for _, st := range usher.Streams {
		a, err := s.d.StreamActivity(ctx, institution, st, since)
		if err != nil {
			return nil, reportUnavailable("ingest health", err)
		}
		out = append(out, usher.StreamHealth{Stream: st, LastReceivedAt: a.Last, ReceivedSince: a.Since})
	}
	return out, nil
}

// RebuildAnalytics recomputes institution's projections from its
// documents; see driver.AnalyticsLegacy.
func (s *Store) RebuildAnalytics(ctx context.Context, institution string) error {
	return s.d.RebuildAnalyticsSteps(ctx, institution, nil)
}

// reportUnavailable is a read of the rollups that failed.
func reportUnavailable(op string, err error) error {
	return &usher.Error{Code: usher.EUNAVAILABLE, Message: "database unavailable", Err: fmt.Errorf("%s: %w", op, err)}
}
