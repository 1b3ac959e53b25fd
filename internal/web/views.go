package web

import (
	"cmp"
	"slices"

	"github.com/usher-hub/usher/internal/analytics"
)

// The views turn report results into what the overview shows: charts,
// totals and small tables. They only reshape the service's figures; every
// number is computed by the analytics service.

// salesView is the sales section: revenue in currency units, net of
// refunds, and abandoned orders apart.
type salesView struct {
	Revenue, Volume Chart
	Currency        string
	Orders, Tickets int64
	RefundOrders    int64
	Gross, Refunded analytics.Money
	Net             analytics.Money
	Abandoned       int64
	AbandonedAmount analytics.Money
	Pending         int64
}

func newSalesView(res *analytics.Result) salesView {
	rows, _ := res.Rows.([]analytics.SalesRow)
	v := salesView{Currency: res.Currency}
	revenue := Series{Name: "Net revenue"}
	orders, tickets := Series{Name: "Orders"}, Series{Name: "Tickets"}
	var labels []string
	for _, r := range rows {
		labels = append(labels, r.Period)
		revenue.Values = append(revenue.Values, units(r.Revenue))
		orders.Values = append(orders.Values, float64(r.Orders))
		tickets.Values = append(tickets.Values, float64(r.Tickets))
		v.Orders, v.Tickets, v.RefundOrders = v.Orders+r.Orders, v.Tickets+r.Tickets, v.RefundOrders+r.RefundOrders
		v.Gross, v.Refunded, v.Net = v.Gross+r.Gross, v.Refunded+r.Refunded, v.Net+r.Revenue
		v.Abandoned, v.AbandonedAmount = v.Abandoned+r.AbandonedOrders, v.AbandonedAmount+r.AbandonedAmount
		v.Pending += r.PendingOrders
	}
	v.Revenue = Chart{Title: "Net revenue per " + string(res.Interval), Unit: res.Currency, Labels: labels, Series: []Series{revenue}, Lines: true}
	v.Volume = Chart{Title: "Orders and tickets per " + string(res.Interval), Labels: labels, Series: []Series{orders, tickets}}
	return v
}

// units converts thousandths (as S-360 sends money) to currency units.
func units(m analytics.Money) float64 { return float64(m) / 1000 }

// attendanceView is the attendance section.
type attendanceView struct {
	Flow    Chart
	Hours   Chart
	Summary analytics.AttendanceSummary
	// HourlyOmitted says the range is too long for hourly figures.
	HourlyOmitted bool
}

func newAttendanceView(res, hourly *analytics.Result) attendanceView {
	rows, _ := res.Rows.([]analytics.AttendanceRow)
	sum, _ := res.Summary.(analytics.AttendanceSummary)
	in, out, failed := Series{Name: "IN"}, Series{Name: "OUT"}, Series{Name: "Refused"}
	var labels []string
	for _, r := range rows {
		labels = append(labels, r.Period)
		in.Values, out.Values, failed.Values = append(in.Values, float64(r.In)), append(out.Values, float64(r.Out)), append(failed.Values, float64(r.Failed))
	}
	v := attendanceView{Summary: sum, HourlyOmitted: hourly == nil,
		Flow: Chart{Title: "Checks per " + string(res.Interval) + ": IN vs OUT", Labels: labels, Series: []Series{in, out, failed}}}
	if hourly != nil {
		v.Hours = hourOfDay(hourly)
	}
	return v
}

// hourOfDay adds up the hourly rows by hour of the day: when the venue is
// busy, over the whole range.
func hourOfDay(res *analytics.Result) Chart {
	rows, _ := res.Rows.([]analytics.AttendanceRow)
	in, out := Series{Name: "IN", Values: make([]float64, 24)}, Series{Name: "OUT", Values: make([]float64, 24)}
	labels := make([]string, 24)
	for h := range labels {
		labels[h] = twoDigits(h) + ":00"
	}
	for _, r := range rows {
		// Hourly periods read 2023-02-09T11:00: the hour is at 11:13.
		if len(r.Period) < 13 {
			continue
		}
		h := int(r.Period[11]-'0')*10 + int(r.Period[12]-'0')
		if h >= 0 && h < 24 {
			in.Values[h] += float64(r.In)
			out.Values[h] += float64(r.Out)
		}
	}
	return Chart{Title: "Checks by hour of day", Labels: labels, Series: []Series{in, out}}
}

func twoDigits(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }

// gatesView is the gate-quality section.
type gatesView struct {
	FailRate Chart
	Groups   []gateTotal
	Reasons  []reasonTotal
	Checks   int64
	Failed   int64
	Rate     analytics.Ratio
}

type gateTotal struct {
	Group          string
	Checks, Failed int64
	Rate           analytics.Ratio
}

type reasonTotal struct {
	Reason string
	Checks int64
}

func newGatesView(res *analytics.Result) gatesView {
	rows, _ := res.Rows.([]analytics.GateRow)
	reasons, _ := res.Reasons.([]analytics.ReasonRow)
	var v gatesView
	perPeriod := map[string][2]int64{}
	var periods []string
	groups := map[string]*gateTotal{}
	for _, r := range rows {
		if _, ok := perPeriod[r.Period]; !ok {
			periods = append(periods, r.Period)
		}
		p := perPeriod[r.Period]
		perPeriod[r.Period] = [2]int64{p[0] + r.Checks, p[1] + r.Failed}
		g := groups[r.Group]
		if g == nil {
			g = &gateTotal{Group: r.Group}
			groups[r.Group] = g
		}
		g.Checks, g.Failed = g.Checks+r.Checks, g.Failed+r.Failed
		v.Checks, v.Failed = v.Checks+r.Checks, v.Failed+r.Failed
	}
	slices.Sort(periods)
	rate := Series{Name: "FAIL rate (%)"}
	for _, p := range periods {
		rate.Values = append(rate.Values, 100*float64(ratio(perPeriod[p][1], perPeriod[p][0])))
	}
	v.FailRate = Chart{Title: "Share of refused checks per " + string(res.Interval), Unit: "%", Labels: periods, Series: []Series{rate}, Lines: true,
		ZeroIsData: v.Checks > 0}
	for _, g := range groups {
		g.Rate = ratio(g.Failed, g.Checks)
		v.Groups = append(v.Groups, *g)
	}
	slices.SortFunc(v.Groups, func(a, b gateTotal) int { return cmp.Compare(a.Group, b.Group) })
	v.Rate = ratio(v.Failed, v.Checks)
	v.Reasons = totalReasons(reasons)
	return v
}

func totalReasons(rows []analytics.ReasonRow) []reasonTotal {
	by := map[string]int64{}
	for _, r := range rows {
		by[r.Reason] += r.Checks
	}
	out := make([]reasonTotal, 0, len(by))
	for reason, n := range by {
		out = append(out, reasonTotal{Reason: reason, Checks: n})
	}
	slices.SortFunc(out, func(a, b reasonTotal) int {
		return cmp.Or(cmp.Compare(b.Checks, a.Checks), cmp.Compare(a.Reason, b.Reason))
	})
	return out
}

func ratio(part, whole int64) analytics.Ratio {
	if whole == 0 {
		return 0
	}
	return analytics.Ratio(float64(part) / float64(whole))
}
