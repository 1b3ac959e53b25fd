package analytics

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/usher-hub/usher"
)

// Report names one of the venue reports.
type Report string

// The reports, as they appear in URLs and on the command line.
const (
	ReportSales      Report = "sales"
	ReportAttendance Report = "attendance"
	ReportGates      Report = "gates"
	ReportBreakdown  Report = "breakdown"
	ReportContacts   Report = "contacts"
)

// Reports lists every report in a stable order.
var Reports = []Report{ReportSales, ReportAttendance, ReportGates, ReportBreakdown, ReportContacts}

// ParseReport returns the report named s, or ENOTFOUND.
func ParseReport(s string) (Report, error) {
	if slices.Contains(Reports, Report(s)) {
		return Report(s), nil
	}
	return "", usher.Errorf(usher.ENOTFOUND, "unknown report %q: use sales, attendance, gates, breakdown or contacts", s)
}

// spec says which intervals and breakdowns a report accepts; the first of
// each is its default.
type spec struct {
	intervals []usher.Interval
	by        []string
}

var specs = map[Report]spec{
	ReportSales:      {[]usher.Interval{usher.IntervalDay, usher.IntervalWeek, usher.IntervalMonth}, []string{usher.ByAll, usher.ByProduct, usher.ByEvent}},
	ReportAttendance: {[]usher.Interval{usher.IntervalDay, usher.IntervalHour, usher.IntervalWeek, usher.IntervalMonth}, nil},
	ReportGates:      {[]usher.Interval{usher.IntervalDay, usher.IntervalWeek, usher.IntervalMonth}, []string{usher.ByGate, usher.ByFlow}},
	ReportBreakdown:  {[]usher.Interval{usher.IntervalDay, usher.IntervalWeek, usher.IntervalMonth}, []string{usher.ByProduct, usher.ByAudience, usher.ByCategory}},
	ReportContacts:   {[]usher.Interval{usher.IntervalDay, usher.IntervalWeek, usher.IntervalMonth}, nil},
}

// Range limits: hourly rows over more than a quarter are unreadable, and
// ten years is more history than any venue's S-360 first sync sends.
const (
	DefaultDays  = 30
	MaxHourDays  = 92
	MaxRangeDays = 3660
)

// QueryParams are the parameters every report accepts.
var QueryParams = []string{"from", "to", "interval", "by", "format", "table"}

// ParseQuery builds the query for report from URL-style parameters: from
// and to (YYYY-MM-DD, both included; default the DefaultDays days up to
// today), interval and by. Unknown parameters are an error, so a typo
// ("form=") never silently returns the default range.
func ParseQuery(report Report, institution string, v url.Values, today time.Time) (usher.ReportQuery, error) {
	sp, ok := specs[report]
	if !ok {
		return usher.ReportQuery{}, usher.Errorf(usher.ENOTFOUND, "unknown report %q", report)
	}
	if err := knownParams(v); err != nil {
		return usher.ReportQuery{}, err
	}
	q := usher.ReportQuery{Institution: institution}
	var err error
	if q.Interval, err = pick(v, "interval", sp.intervals); err != nil {
		return q, err
	}
	if q.By, err = pick(v, "by", sp.by); err != nil {
		return q, err
	}
	if q.From, q.To, err = parseRange(v.Get("from"), v.Get("to"), today); err != nil {
		return q, err
	}
	return q, checkSpan(q)
}

func knownParams(v url.Values) error {
	var unknown []string
	for k, vals := range v {
		if !slices.Contains(QueryParams, k) {
			unknown = append(unknown, k)
		} else if len(vals) > 1 {
			return usher.Errorf(usher.EINVALID, "parameter %q is given %d times: give it once", k, len(vals))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return usher.Errorf(usher.EINVALID, "unknown parameter %s: the reports take %s", quoteAll(unknown), strings.Join(QueryParams, ", "))
	}
	return nil
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

// pick returns the value of key among allowed, the first allowed when it
// is absent, and "" when the report takes no such parameter.
func pick[T ~string](v url.Values, key string, allowed []T) (T, error) {
	got := v.Get(key)
	if len(allowed) == 0 {
		if got != "" {
			return "", usher.Errorf(usher.EINVALID, "this report takes no %s parameter", key)
		}
		return "", nil
	}
	if got == "" {
		return allowed[0], nil
	}
	if slices.Contains(allowed, T(got)) {
		return T(got), nil
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return "", usher.Errorf(usher.EINVALID, "%s %q is not available for this report: use %s", key, got, strings.Join(names, ", "))
}

// parseRange reads from and to, defaulting to the DefaultDays days ending
// today (the venue's date).
func parseRange(fromText, toText string, today time.Time) (from, to time.Time, err error) {
	to = Date(today)
	if toText != "" {
		if to, err = parseDate("to", toText); err != nil {
			return from, to, err
		}
	}
	from = to.AddDate(0, 0, -(DefaultDays - 1))
	if fromText != "" {
		if from, err = parseDate("from", fromText); err != nil {
			return from, to, err
		}
	}
	if to.Before(from) {
		return from, to, usher.Errorf(usher.EINVALID, "to (%s) is before from (%s)", FormatDate(to), FormatDate(from))
	}
	return from, to, nil
}

func parseDate(name, s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil || d.Year() < 1900 || d.Year() > 2200 {
		return time.Time{}, usher.Errorf(usher.EINVALID, "%s must be a date like 2023-02-09, got %q", name, s)
	}
	return d, nil
}

func checkSpan(q usher.ReportQuery) error {
	days := int(q.To.Sub(q.From).Hours()/24) + 1
	if q.Interval == usher.IntervalHour && days > MaxHourDays {
		return usher.Errorf(usher.EINVALID, "hourly reports cover at most %d days, asked for %d: narrow from and to or use interval=day", MaxHourDays, days)
	}
	if days > MaxRangeDays {
		return usher.Errorf(usher.EINVALID, "reports cover at most %d days, asked for %d", MaxRangeDays, days)
	}
	return nil
}

// Date returns the calendar date of t (in t's own zone) as a report bound:
// midnight UTC.
func Date(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// FormatDate writes a report bound as YYYY-MM-DD.
func FormatDate(d time.Time) string { return d.Format(time.DateOnly) }

// FormatPeriod writes the start of a period: a date, or a date and hour
// (2023-02-09T11:00) for hourly reports.
func FormatPeriod(t time.Time, iv usher.Interval) string {
	if iv == usher.IntervalHour {
		return t.Format("2006-01-02T15:04")
	}
	return t.Format(time.DateOnly)
}

// Intervals lists the intervals report accepts, its default first.
func Intervals(report Report) []usher.Interval { return specs[report].intervals }

// Breakdowns lists the by values report accepts, its default first; nil
// when the report has no breakdown.
func Breakdowns(report Report) []string { return specs[report].by }
