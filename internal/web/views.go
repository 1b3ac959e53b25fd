package web

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
)

// unmatchedLabel names checks whose order usher has not received.
const unmatchedLabel = "(no order received)"

// fillReport turns a report result into the page's cards, charts and
// tables. The table is the CSV export's, column for column.
func fillReport(pg *reportPage, res *analytics.Result) {
	header, cells := analytics.Table(res.Rows)
	pg.Tables = []table{{Title: "Figures", Header: header, Rows: cells}}
	switch rows := res.Rows.(type) {
	case []analytics.SalesRow:
		salesView(pg, res, rows)
	case []analytics.AttendanceRow:
		attendanceView(pg, res, rows)
	case []analytics.GateRow:
		gatesView(pg, res, rows)
	case []analytics.BreakdownRow:
		breakdownView(pg, res, rows)
	case []analytics.ContactsRow:
		contactsView(pg, rows)
	}
}

func units(m analytics.Money) float64 { return float64(m) / 1000 }

func salesView(pg *reportPage, res *analytics.Result, rows []analytics.SalesRow) {
	var t analytics.SalesRow
	for _, r := range rows {
		t.Orders, t.Tickets, t.Revenue, t.Refunded = t.Orders+r.Orders, t.Tickets+r.Tickets, t.Revenue+r.Revenue, t.Refunded+r.Refunded
		t.AbandonedOrders, t.PendingOrders = t.AbandonedOrders+r.AbandonedOrders, t.PendingOrders+r.PendingOrders
	}
	cur := res.Currency
	pg.Summary = []card{
		{Label: "Revenue", Value: t.Revenue.String() + " " + cur, Note: "refunds netted"},
		{Label: "Tickets", Value: strconv.FormatInt(t.Tickets, 10), Note: "sold minus refunded"},
		{Label: "Orders", Value: strconv.FormatInt(t.Orders, 10)},
		{Label: "Refunded", Value: t.Refunded.String() + " " + cur},
		{Label: "Abandoned orders", Value: strconv.FormatInt(t.AbandonedOrders, 10), Note: "not in revenue"},
		{Label: "Options and reservations", Value: strconv.FormatInt(t.PendingOrders, 10), Note: "not yet paid"},
	}
	if res.By == usher.ByAll {
		labels := periodsOf(rows, func(r analytics.SalesRow) string { return r.Period })
		pg.Charts = []Chart{
			{Name: "sales-revenue", Title: "Revenue per " + string(res.Interval) + " (" + cur + ")", Labels: labels, Decimals: 2, Series: []Series{
				{Name: "Revenue", Class: "s1", Values: values(rows, func(r analytics.SalesRow) float64 { return units(r.Revenue) })},
				{Name: "Abandoned", Class: "s4", Values: values(rows, func(r analytics.SalesRow) float64 { return units(r.AbandonedAmount) })}}},
			{Name: "sales-tickets", Title: "Tickets per " + string(res.Interval), Labels: labels, Series: []Series{
				{Name: "Tickets", Class: "s2", Values: values(rows, func(r analytics.SalesRow) float64 { return float64(r.Tickets) })}}},
		}
		return
	}
	totals := sumBy(rows, func(r analytics.SalesRow) string { return r.Label }, func(r analytics.SalesRow) []float64 {
		return []float64{units(r.Revenue), units(r.AbandonedAmount)}
	})
	pg.Charts = []Chart{totals.chart("sales-"+res.By, "Revenue per "+res.By+" ("+cur+")", 2, []Series{{Name: "Revenue", Class: "s1"}, {Name: "Abandoned", Class: "s4"}})}
}

func attendanceView(pg *reportPage, res *analytics.Result, rows []analytics.AttendanceRow) {
	sum, _ := res.Summary.(analytics.AttendanceSummary)
	peak := "none"
	if sum.PeakHour != "" {
		peak = strings.Replace(sum.PeakHour, "T", " ", 1)
	}
	pg.Summary = []card{
		{Label: "Inside now", Value: strconv.FormatInt(sum.Occupancy.Inside, 10), Note: fmt.Sprintf("today %s: %d in, %d out", sum.Occupancy.Date, sum.Occupancy.In, sum.Occupancy.Out)},
		{Label: "Peak hour", Value: peak, Note: fmt.Sprintf("%d entries", sum.PeakIn)},
		{Label: "Entries", Value: strconv.FormatInt(sum.TotalIn, 10)},
		{Label: "Exits", Value: strconv.FormatInt(sum.TotalOut, 10)},
		{Label: "Refused", Value: strconv.FormatInt(sum.Failed, 10)},
	}
	pg.Charts = []Chart{{Name: "attendance", Title: "Checks per " + string(res.Interval),
		Labels: periodsOf(rows, func(r analytics.AttendanceRow) string { return r.Period }), Series: []Series{
			{Name: "In", Class: "s1", Values: values(rows, func(r analytics.AttendanceRow) float64 { return float64(r.In) })},
			{Name: "Out", Class: "s2", Values: values(rows, func(r analytics.AttendanceRow) float64 { return float64(r.Out) })},
			{Name: "Refused", Class: "s4", Values: values(rows, func(r analytics.AttendanceRow) float64 { return float64(r.Failed) })}}}}
}

func gatesView(pg *reportPage, res *analytics.Result, rows []analytics.GateRow) {
	reasons, _ := res.Reasons.([]analytics.ReasonRow)
	header, cells := analytics.Table(reasons)
	pg.Tables = append(pg.Tables, table{Title: "Failure reasons", Header: header, Rows: cells})
	var checks, failed int64
	for _, r := range rows {
		checks, failed = checks+r.Checks, failed+r.Failed
	}
	pg.Summary = []card{
		{Label: "Checks", Value: strconv.FormatInt(checks, 10)},
		{Label: "Refused", Value: strconv.FormatInt(failed, 10)},
		{Label: "Refusal rate", Value: percent(failed, checks)},
	}
	groups := sumBy(rows, func(r analytics.GateRow) string { return groupName(r.Group) }, func(r analytics.GateRow) []float64 {
		return []float64{float64(r.Failed), float64(r.Checks)}
	})
	for i := range groups.values {
		groups.values[i] = []float64{100 * groups.values[i][0] / max(groups.values[i][1], 1)}
	}
	pg.Charts = []Chart{
		groups.chart("gates", "Refused checks per "+res.By+" (%)", 1, []Series{{Name: "Refused %", Class: "s4"}}),
		reasonsChart(reasons, res.Interval),
	}
}

// reasonsChart stacks the refusals of each period by failure reason.
func reasonsChart(reasons []analytics.ReasonRow, iv usher.Interval) Chart {
	c := Chart{Name: "gates-reasons", Title: "Failure reasons per " + string(iv), Stacked: true}
	periodIndex, reasonIndex := map[string]int{}, map[string]int{}
	for _, r := range reasons {
		if _, ok := periodIndex[r.Period]; !ok {
			periodIndex[r.Period] = len(c.Labels)
			c.Labels = append(c.Labels, r.Period)
		}
		if _, ok := reasonIndex[r.Reason]; !ok {
			reasonIndex[r.Reason] = len(c.Series)
			c.Series = append(c.Series, Series{Name: r.Reason, Class: fmt.Sprintf("s%d", len(c.Series)%6+1)})
		}
	}
	for k := range c.Series {
		c.Series[k].Values = make([]float64, len(c.Labels))
	}
	for _, r := range reasons {
		c.Series[reasonIndex[r.Reason]].Values[periodIndex[r.Period]] += float64(r.Checks)
	}
	return c
}

func breakdownView(pg *reportPage, res *analytics.Result, rows []analytics.BreakdownRow) {
	sum, _ := res.Summary.(analytics.BreakdownSummary)
	pg.Summary = []card{
		{Label: "Checks joined to an order", Value: strconv.FormatInt(sum.MatchedChecks, 10)},
		{Label: "Checks without their order", Value: strconv.FormatInt(sum.UnmatchedChecks, 10), Note: percent(sum.UnmatchedChecks, sum.MatchedChecks+sum.UnmatchedChecks) + " of all checks"},
	}
	pg.Note = "A check is joined to the order movement its movement_id names. Checks whose order usher has not received are shown apart, never dropped."
	totals := sumBy(rows, func(r analytics.BreakdownRow) string {
		if !r.Matched {
			return unmatchedLabel
		}
		return groupName(r.Label)
	}, func(r analytics.BreakdownRow) []float64 {
		return []float64{float64(r.In), float64(r.Out), float64(r.Failed)}
	})
	pg.Charts = []Chart{totals.chart("breakdown-"+res.By, "Checks per "+res.By, 0,
		[]Series{{Name: "In", Class: "s1"}, {Name: "Out", Class: "s2"}, {Name: "Refused", Class: "s4"}})}
}

func contactsView(pg *reportPage, rows []analytics.ContactsRow) {
	var t analytics.ContactsRow
	for _, r := range rows {
		t.NewPersons, t.NewCompanies = t.NewPersons+r.NewPersons, t.NewCompanies+r.NewCompanies
		t.UpdatedPersons, t.UpdatedCompanies = t.UpdatedPersons+r.UpdatedPersons, t.UpdatedCompanies+r.UpdatedCompanies
	}
	pg.Summary = []card{
		{Label: "New persons", Value: strconv.FormatInt(t.NewPersons, 10)},
		{Label: "New companies", Value: strconv.FormatInt(t.NewCompanies, 10)},
		{Label: "Updated persons", Value: strconv.FormatInt(t.UpdatedPersons, 10)},
		{Label: "Updated companies", Value: strconv.FormatInt(t.UpdatedCompanies, 10)},
	}
	pg.Charts = []Chart{{Name: "contacts", Title: "Contact changes", Stacked: true,
		Labels: periodsOf(rows, func(r analytics.ContactsRow) string { return r.Period }), Series: []Series{
			{Name: "New persons", Class: "s1", Values: values(rows, func(r analytics.ContactsRow) float64 { return float64(r.NewPersons) })},
			{Name: "New companies", Class: "s2", Values: values(rows, func(r analytics.ContactsRow) float64 { return float64(r.NewCompanies) })},
			{Name: "Updated persons", Class: "s3", Values: values(rows, func(r analytics.ContactsRow) float64 { return float64(r.UpdatedPersons) })},
			{Name: "Updated companies", Class: "s5", Values: values(rows, func(r analytics.ContactsRow) float64 { return float64(r.UpdatedCompanies) })}}}}
}

func groupName(s string) string {
	if s == "" {
		return "(none given)"
	}
	return s
}

func percent(part, whole int64) string {
	if whole == 0 {
		return "–"
	}
	return strconv.FormatFloat(100*float64(part)/float64(whole), 'f', 1, 64) + " %"
}

func periodsOf[T any](rows []T, period func(T) string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = period(r)
	}
	return out
}

func values[T any](rows []T, v func(T) float64) []float64 {
	out := make([]float64, len(rows))
	for i, r := range rows {
		out[i] = v(r)
	}
	return out
}

// totals sums several figures per label over all periods.
type totals struct {
	labels []string
	values [][]float64
}

// maxLabels keeps horizontal charts readable; the table lists them all.
const maxLabels = 25

func sumBy[T any](rows []T, label func(T) string, figures func(T) []float64) totals {
	index := map[string]int{}
	var t totals
	for _, r := range rows {
		l, f := label(r), figures(r)
		i, ok := index[l]
		if !ok {
			i = len(t.labels)
			index[l] = i
			t.labels = append(t.labels, l)
			t.values = append(t.values, make([]float64, len(f)))
		}
		for k := range f {
			t.values[i][k] += f[k]
		}
	}
	return t
}

// chart draws the totals as horizontal bars, largest first, one series per
// figure.
func (t totals) chart(name, title string, decimals int, series []Series) Chart {
	order := make([]int, len(t.labels))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return t.values[order[a]][0] > t.values[order[b]][0] })
	if len(order) > maxLabels {
		order = order[:maxLabels]
	}
	c := Chart{Name: name, Title: title, Horizontal: true, Decimals: decimals}
	for k, s := range series {
		s.Values = make([]float64, len(order))
		for j, i := range order {
			s.Values[j] = t.values[i][k]
		}
		c.Series = append(c.Series, s)
	}
	for _, i := range order {
		c.Labels = append(c.Labels, t.labels[i])
	}
	return c
}
