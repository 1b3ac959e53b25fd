package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
	"github.com/usher-hub/usher/internal/documents"
)

// overviewData is the overview page: every report of one institution over
// one date range.
type overviewData struct {
	pageData
	Sales      salesView
	Attendance attendanceView
	Gates      gatesView
	ByProduct  breakdownView
	ByAudience breakdownView
	Contacts   contactsView
	// CSV links each chart to the export of the report it draws.
	CSV map[string]string
	// Orders are the latest order versions received in the range, each a
	// link to its document; OrdersURL lists them all on the Documents
	// page. Empty without a document browser.
	Orders    []documents.Summary
	OrdersURL string
}

// overviewOrders is how many of the latest orders the Sales card lists.
const overviewOrders = 10

func (h *Handler) overview(w http.ResponseWriter, r *http.Request) {
	pd, q, err := h.filter(r, overviewParams)
	pd.Title, pd.Nav = "Overview", "overview"
	if err == nil {
		err = h.fitRange(r.Context(), r, &pd, &q)
	}
	if err != nil {
		h.renderError(w, r, pd, err)
		return
	}
	data, err := h.buildOverview(r.Context(), pd, q)
	if err != nil {
		h.renderError(w, r, pd, err)
		return
	}
	h.render(w, r, http.StatusOK, "overview", data)
}

func (h *Handler) buildOverview(ctx context.Context, pd pageData, q usher.ReportQuery) (overviewData, error) {
	d := overviewData{pageData: pd, CSV: map[string]string{}}
	run := func(key string, report analytics.Report, by string, iv usher.Interval) (*analytics.Result, error) {
		rq := q
		rq.By, rq.Interval = by, iv
		d.CSV[key] = exportLink(rq, report, "")
		return h.svc.Run(ctx, report, rq)
	}
	sales, err := run("sales", analytics.ReportSales, usher.ByAll, q.Interval)
	if err != nil {
		return d, err
	}
	d.Sales = newSalesView(sales)
	attendance, err := run("attendance", analytics.ReportAttendance, "", q.Interval)
	if err != nil {
		return d, err
	}
	var hourly *analytics.Result
	if days := int(q.To.Sub(q.From).Hours()/24) + 1; days <= analytics.MaxHourDays {
		if hourly, err = run("hourly", analytics.ReportAttendance, "", usher.IntervalHour); err != nil {
			return d, err
		}
	}
	d.Attendance = newAttendanceView(attendance, hourly)
	gates, err := run("gates", analytics.ReportGates, usher.ByGate, q.Interval)
	if err != nil {
		return d, err
	}
	d.Gates = newGatesView(gates)
	gq := q
	gq.By = usher.ByGate
	d.CSV["reasons"] = exportLink(gq, analytics.ReportGates, "reasons")
	for _, b := range []struct {
		by    string
		title string
		view  *breakdownView
	}{{usher.ByProduct, "Checks per product", &d.ByProduct}, {usher.ByAudience, "Checks per customer type", &d.ByAudience}} {
		res, err := run(b.by, analytics.ReportBreakdown, b.by, q.Interval)
		if err != nil {
			return d, err
		}
		*b.view = newBreakdownView(res, b.title)
	}
	contacts, err := run("contacts", analytics.ReportContacts, "", q.Interval)
	if err != nil {
		return d, err
	}
	d.Contacts = newContactsView(contacts)
	if err := h.latestOrders(ctx, &d); err != nil {
		return d, err
	}
	for _, c := range []*Chart{&d.Sales.Revenue, &d.Sales.Volume, &d.Attendance.Flow, &d.Attendance.Hours, &d.Gates.FailRate,
		&d.ByProduct.Chart, &d.ByAudience.Chart, &d.Contacts.New, &d.Contacts.Updated} {
		c.Locale = h.loc
	}
	return d, nil
}

// exportLink is the dashboard's CSV export of report for q, with the same
// parameters as the API's ?format=csv.
func exportLink(q usher.ReportQuery, report analytics.Report, table string) string {
	v := url.Values{"from": {analytics.FormatDate(q.From)}, "to": {analytics.FormatDate(q.To)},
		"interval": {string(q.Interval)}, "format": {"csv"}}
	if q.By != "" {
		v.Set("by", q.By)
	}
	if table != "" {
		v.Set("table", table)
	}
	return "/dashboard/export/" + url.PathEscape(q.Institution) + "/" + string(report) + "?" + v.Encode()
}

// latestOrders links the Sales card to the orders behind it: the latest
// order versions received from the range's first day to the end of its
// last (days as the Documents page reads them, in UTC), and the whole
// list on the Documents page.
func (h *Handler) latestOrders(ctx context.Context, d *overviewData) error {
	if h.documents == nil {
		return nil
	}
	from, err := time.Parse(time.DateOnly, d.From)
	if err != nil {
		return err
	}
	to, err := time.Parse(time.DateOnly, d.To)
	if err != nil {
		return err
	}
	to = to.AddDate(0, 0, 1)
	page, err := h.documents.ListDocuments(ctx, usher.BrowseFilter{Institution: d.Institution, Stream: usher.StreamOrders,
		From: from, To: to, Limit: overviewOrders})
	if err != nil {
		return err
	}
	for _, doc := range page.Documents {
		d.Orders = append(d.Orders, documents.NewSummary(doc))
	}
	d.OrdersURL = "/dashboard/documents?" + url.Values{"institution": {d.Institution}, "stream": {string(usher.StreamOrders)},
		"from": {d.From}, "to": {to.Format(time.DateOnly)}}.Encode()
	return nil
}
