package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
)

// fitRange narrows the default range (the last 30 days, when the page
// names no from) to start on the first day with any sales, checks or
// contacts, so a venue with a week of data sees a week, not three weeks
// of empty charts. A range with no data at all is kept as it is, and the
// charts say "No data".
func (h *Handler) fitRange(ctx context.Context, r *http.Request, pd *pageData, q *usher.ReportQuery) error {
	v, _ := url.ParseQuery(r.URL.RawQuery) // filter has parsed it already
	if v.Has("from") {
		return nil
	}
	first, err := h.firstDayWithData(ctx, *q)
	if err != nil || first.IsZero() || !first.After(q.From) {
		return err
	}
	q.From, pd.From = first, analytics.FormatDate(first)
	return nil
}

// firstDayWithData returns the first day of q's range holding data, or
// the zero time.
func (h *Handler) firstDayWithData(ctx context.Context, q usher.ReportQuery) (time.Time, error) {
	q.Interval, q.By = usher.IntervalDay, usher.ByAll
	var first time.Time
	for _, report := range []analytics.Report{analytics.ReportSales, analytics.ReportAttendance, analytics.ReportContacts} {
		rq := q
		if report != analytics.ReportSales {
			rq.By = ""
		}
		res, err := h.svc.Run(ctx, report, rq)
		if err != nil {
			return time.Time{}, err
		}
		for _, day := range daysWithData(res.Rows) {
			if d, err := time.Parse(time.DateOnly, day); err == nil && (first.IsZero() || d.Before(first)) {
				first = d
			}
		}
	}
	return first, nil
}

// daysWithData lists the periods of rows that hold anything.
func daysWithData(rows any) []string {
	var out []string
	switch rs := rows.(type) {
	case []analytics.SalesRow:
		for _, r := range rs {
			if r.Orders+r.RefundOrders+r.AbandonedOrders+r.PendingOrders > 0 {
				out = append(out, r.Period)
			}
		}
	case []analytics.AttendanceRow:
		for _, r := range rs {
			if r.In+r.Out+r.Failed > 0 {
				out = append(out, r.Period)
			}
		}
	case []analytics.ContactsRow:
		for _, r := range rs {
			if r.NewPersons+r.NewCompanies+r.UpdatedPersons+r.UpdatedCompanies > 0 {
				out = append(out, r.Period)
			}
		}
	}
	return out
}
