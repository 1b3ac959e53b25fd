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
	if err := q.CheckDays(); err != nil {
		return out, err
	}
	totals, err := s.d.SalesTotals(ctx, reportRange(q, q.SalesBy()))
	if err != nil {
		return out, reportUnavailable("sales report", err)
	}
	sameRow := func(a, b driver.SalesTotal) bool { return a.Period == b.Period && a.Label == b.Label }
	sums := fold(totals, sameRow, func(t driver.SalesTotal) int64 { return t.Orders }, func(t driver.SalesTotal, first bool) {
		if first {
			out.Rows = append(out.Rows, usher.SalesRow{Period: t.Period, Label: t.Label})
		}
		r := &out.Rows[len(out.Rows)-1]
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
	})
	out.Rows = keep(out.Rows, sums, positive)
	body, err := s.d.LatestOrderBody(ctx, q.Institution)
	if err != nil {
		return out, reportUnavailable("sales currency", err)
	}
	out.Currency = orderCurrency(body)
	return out, nil
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
	if err := q.CheckHours(); err != nil {
		return nil, err
	}
	totals, err := s.d.AttendanceTotals(ctx, reportRange(q, ""))
	if err != nil {
		return nil, reportUnavailable("attendance report", err)
	}
	var out []usher.AttendanceRow
	sums := fold(totals, func(a, b driver.CheckTotal) bool { return a.Period == b.Period }, func(t driver.CheckTotal) int64 { return t.Checks },
		func(t driver.CheckTotal, first bool) {
			if first {
				out = append(out, usher.AttendanceRow{Period: t.Period})
			}
			r := &out[len(out)-1]
			countCheck(&r.In, &r.Out, &r.Failed, t)
		})
	return keep(out, sums, positive), nil
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

// ReportGates answers the gate-quality report: checks and refusals per
// gate or flow, and the refusals' reasons, the most frequent first.
func (s *Store) ReportGates(ctx context.Context, q usher.ReportQuery) (usher.GateReport, error) {
	var out usher.GateReport
	if err := q.CheckDays(); err != nil {
		return out, err
	}
	by, err := q.GatesBy()
	if err != nil {
		return out, err
	}
	totals, err := s.d.GateTotals(ctx, reportRange(q, by))
	if err != nil {
		return out, reportUnavailable("gates report", err)
	}
	sameGroup := func(a, b driver.CheckTotal) bool { return a.Period == b.Period && a.Group == b.Group }
	sums := fold(totals, sameGroup, func(t driver.CheckTotal) int64 { return t.Checks }, func(t driver.CheckTotal, first bool) {
		if first {
			out.Rows = append(out.Rows, usher.GateRow{Period: t.Period, Group: t.Group})
		}
		r := &out.Rows[len(out.Rows)-1]
		r.Checks += t.Checks
		if !usher.CheckAdmitted(t.Result) {
			r.Failed += t.Checks
		}
	})
	out.Rows = keep(out.Rows, sums, positive)
	out.Reasons = failureReasons(totals, sameGroup)
	return out, nil
}

// failureReasons counts the refused checks of totals per period, group
// and reason, the most frequent reason of a group first.
func failureReasons(totals []driver.CheckTotal, sameGroup func(a, b driver.CheckTotal) bool) []usher.FailureReasonRow {
	var refused []driver.CheckTotal
	for _, t := range totals {
		if !usher.CheckAdmitted(t.Result) {
			refused = append(refused, t)
		}
	}
	var out []usher.FailureReasonRow
	sums := fold(refused, func(a, b driver.CheckTotal) bool { return sameGroup(a, b) && a.Reason == b.Reason },
		func(t driver.CheckTotal) int64 { return t.Checks }, func(t driver.CheckTotal, first bool) {
			if first {
				out = append(out, usher.FailureReasonRow{Period: t.Period, Group: t.Group, Reason: t.Reason})
			}
			out[len(out)-1].Checks += t.Checks
		})
	out = keep(out, sums, positive)
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
	if err := q.CheckDays(); err != nil {
		return nil, err
	}
	by, err := q.BreakdownBy()
	if err != nil {
		return nil, err
	}
	totals, err := s.d.BreakdownTotals(ctx, reportRange(q, by))
	if err != nil {
		return nil, reportUnavailable("breakdown report", err)
	}
	var out []usher.BreakdownRow
	sameRow := func(a, b driver.CheckTotal) bool {
		return a.Period == b.Period && a.Matched == b.Matched && a.Group == b.Group
	}
	sums := fold(totals, sameRow, func(t driver.CheckTotal) int64 { return t.Checks }, func(t driver.CheckTotal, first bool) {
		if first {
			out = append(out, usher.BreakdownRow{Period: t.Period, Matched: t.Matched, Label: t.Group})
		}
		r := &out[len(out)-1]
		countCheck(&r.In, &r.Out, &r.Failed, t)
	})
	// Checks moving between unmatched and matched rows can leave a row's
	// sum below zero for a while: only empty rows are left out.
	return keep(out, sums, func(n int64) bool { return n != 0 }), nil
}

// ReportContacts answers new and updated contacts, persons and
// companies apart.
func (s *Store) ReportContacts(ctx context.Context, q usher.ReportQuery) ([]usher.ContactsRow, error) {
	if err := q.CheckDays(); err != nil {
		return nil, err
	}
	totals, err := s.d.ContactTotals(ctx, reportRange(q, ""))
	if err != nil {
		return nil, reportUnavailable("contacts report", err)
	}
	var out []usher.ContactsRow
	sums := fold(totals, func(a, b driver.ContactTotal) bool { return a.Period == b.Period }, func(t driver.ContactTotal) int64 { return t.Contacts },
		func(t driver.ContactTotal, first bool) {
			if first {
				out = append(out, usher.ContactsRow{Period: t.Period})
			}
			r := &out[len(out)-1]
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
		})
	return keep(out, sums, positive), nil
}

// reportRange is the rollup rows q covers, grouped by dimension by.
func reportRange(q usher.ReportQuery, by string) driver.ReportRange {
	return driver.ReportRange{Institution: q.Institution, From: q.From, Until: q.Until(), Interval: q.Interval, By: by}
}

// fold calls add with each of totals, which come sorted so that those of
// one report row are adjacent (same), first telling it a new row starts;
// it returns, for each report row in turn, the sum of its totals' n.
func fold[T any](totals []T, same func(a, b T) bool, n func(T) int64, add func(t T, first bool)) []int64 {
	var sums []int64
	for i, t := range totals {
		first := i == 0 || !same(totals[i-1], t)
		if first {
			sums = append(sums, 0)
		}
		sums[len(sums)-1] += n(t)
		add(t, first)
	}
	return sums
}

// keep returns the rows whose sum passes ok, as SQL's HAVING.
func keep[R any](rows []R, sums []int64, ok func(int64) bool) []R {
	out := rows[:0]
	for i, r := range rows {
		if ok(sums[i]) {
			out = append(out, r)
		}
	}
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
		activity := s.d.DocumentActivity
		if st == usher.StreamTicketChecks {
			activity = s.d.CheckActivity
		}
		a, err := activity(ctx, institution, st, since)
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
