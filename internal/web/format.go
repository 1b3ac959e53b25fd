package web

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/usher-hub/usher/internal/analytics"
)

// Locale writes numbers, money and times the way the venue reads them:
// its digit grouping, decimal mark and date order, in its time zone.
// The table is small on purpose (the venues usher serves); an unknown
// locale is a configuration error, not a silent fallback.
type Locale struct {
	Name    string
	group   string // thousands separator
	decimal string
	date    string // Go layout of a day
	clock   string // Go layout of a time of day
	zone    *time.Location
}

// locales are the supported analytics.locale values.
var locales = map[string]Locale{
	"en":    {group: ",", decimal: ".", date: "2006-01-02", clock: "15:04"},
	"en-GB": {group: ",", decimal: ".", date: "02/01/2006", clock: "15:04"},
	"en-US": {group: ",", decimal: ".", date: "01/02/2006", clock: "3:04 PM"},
	"de":    {group: ".", decimal: ",", date: "02.01.2006", clock: "15:04"},
	"de-AT": {group: ".", decimal: ",", date: "02.01.2006", clock: "15:04"},
	"de-CH": {group: "’", decimal: ".", date: "02.01.2006", clock: "15:04"},
	"de-DE": {group: ".", decimal: ",", date: "02.01.2006", clock: "15:04"},
	"fr":    {group: "\u202f", decimal: ",", date: "02/01/2006", clock: "15:04"},
	"fr-CH": {group: "\u202f", decimal: ",", date: "02.01.2006", clock: "15:04"},
	"fr-FR": {group: "\u202f", decimal: ",", date: "02/01/2006", clock: "15:04"},
	"it":    {group: ".", decimal: ",", date: "02/01/2006", clock: "15:04"},
	"it-CH": {group: "’", decimal: ".", date: "02.01.2006", clock: "15:04"},
}

// Locales lists the supported locale names, sorted.
func Locales() []string {
	names := make([]string, 0, len(locales))
	for n := range locales {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// NewLocale returns the locale name ("" is "en") in zone (nil is UTC).
func NewLocale(name string, zone *time.Location) (Locale, error) {
	if name == "" {
		name = "en"
	}
	l, ok := locales[name]
	if !ok {
		return Locale{}, fmt.Errorf("analytics.locale %q is not one of %s", name, strings.Join(Locales(), ", "))
	}
	if zone == nil {
		zone = time.UTC
	}
	l.Name, l.zone = name, zone
	return l, nil
}

// orDefault is l, or "en" in UTC for a zero Locale (a Chart drawn alone).
func (l Locale) orDefault() Locale {
	if l.group == "" {
		d, _ := NewLocale("en", time.UTC)
		return d
	}
	return l
}

// Count writes a whole number with digit grouping: 12,345.
func (l Locale) Count(n int64) string {
	l = l.orDefault()
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return sign + l.groupDigits(strconv.FormatInt(n, 10))
}

// countAny is Count for the template, whose figures are int or int64.
func (l Locale) countAny(n any) (string, error) {
	switch v := n.(type) {
	case int:
		return l.Count(int64(v)), nil
	case int64:
		return l.Count(v), nil
	default:
		return "", fmt.Errorf("count: %T is not a whole number", n)
	}
}

func (l Locale) groupDigits(digits string) string {
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(l.group)
		}
		b.WriteRune(d)
	}
	return b.String()
}

// Money writes an amount (thousandths, as S-360 sends it) with two
// decimals, grouped, after its currency: CHF 2,290.00.
func (l Locale) Money(m analytics.Money, currency string) string {
	l = l.orDefault()
	n := int64(m)
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	cents := (n + 5) / 10 // to hundredths, rounding half up
	s := sign + l.groupDigits(strconv.FormatInt(cents/100, 10)) + l.decimal + fmt.Sprintf("%02d", cents%100)
	if currency == "" {
		return s
	}
	return currency + "\u00a0" + s
}

// Number writes a chart value: grouped, up to two decimals, no trailing
// zeros.
func (l Locale) Number(v float64) string {
	l = l.orDefault()
	v = math.Round(v*100) / 100
	whole, frac := math.Modf(math.Abs(v))
	s := l.groupDigits(strconv.FormatFloat(whole, 'f', 0, 64))
	if frac > 0 {
		s += l.decimal + strings.TrimRight(strconv.FormatFloat(frac, 'f', 2, 64)[2:], "0")
	}
	if v < 0 {
		s = "-" + s
	}
	return s
}

// DateTime writes an instant in the venue's zone: 07.12.2026 14:05 CET.
func (l Locale) DateTime(t time.Time) string {
	l = l.orDefault()
	t = t.In(l.zone)
	return t.Format(l.date + " " + l.clock + " MST")
}

// Day writes a report day (YYYY-MM-DD) the venue's way; anything else is
// returned as it is.
func (l Locale) Day(day string) string {
	l = l.orDefault()
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return d.Format(l.date)
}

// Hour writes a report hour (2026-12-04T10:00, the venue's wall clock)
// as a day and a span of one hour: 04.12.2026, 10:00–11:00.
func (l Locale) Hour(period string) string {
	l = l.orDefault()
	t, err := time.Parse("2006-01-02T15:04", period)
	if err != nil {
		return period
	}
	return t.Format(l.date) + ", " + t.Format(l.clock) + "–" + t.Add(time.Hour).Format(l.clock)
}
