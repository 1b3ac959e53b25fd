package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Charts are drawn here as SVG, server-side: no script runs in the
// browser, the page obeys a strict CSP, and a test can read the bars.
// Colours and fonts come from app.css through class names, since the CSP
// forbids inline styles.

// Chart is one bar or line chart: a value per label for each series.
type Chart struct {
	Title  string
	Unit   string // shown on the axis, e.g. CHF
	Labels []string
	Series []Series
	Lines  bool // lines instead of grouped bars
}

// Series is one named row of values, one per label.
type Series struct {
	Name   string
	Values []float64
}

// Chart geometry, in SVG user units; the CSS scales the whole drawing.
const (
	chartW, chartH   = 760.0, 260.0
	padLeft, padTop  = 64.0, 16.0
	padRight, padBot = 12.0, 48.0
	maxXLabels       = 12
)

// SVG draws the chart. Every text comes from the data, so all of it is
// escaped.
func (c Chart) SVG() template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<figure class="chart"><figcaption>%s</figcaption>`, esc(c.Title))
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" role="img" aria-label="%s">`, chartW, chartH, esc(c.Title))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(c.Title))
	if len(c.Labels) == 0 || len(c.Series) == 0 {
		fmt.Fprintf(&b, `<text class="empty" x="%g" y="%g">No data in this range</text></svg></figure>`, chartW/2, chartH/2)
		return template.HTML(b.String())
	}
	lo, hi, step := c.bounds()
	y := func(v float64) float64 { return padTop + (hi-v)/(hi-lo)*(chartH-padTop-padBot) }
	c.axes(&b, lo, hi, step, y)
	if c.Lines {
		c.lines(&b, y)
	} else {
		c.bars(&b, y)
	}
	b.WriteString(`</svg></figure>`)
	return template.HTML(b.String())
}

// bounds returns the value range drawn and its gridline step: the range
// always includes zero and is rounded out to the step, so gridlines fall
// on round numbers. Counts never get a fractional step.
func (c Chart) bounds() (lo, hi, step float64) {
	whole := true
	for _, s := range c.Series {
		for _, v := range s.Values {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
			whole = whole && v == math.Trunc(v)
		}
	}
	if hi == lo {
		hi = lo + 1
	}
	step = niceStep((hi - lo) / 4)
	if whole {
		step = math.Max(step, 1)
	}
	return math.Floor(lo/step) * step, math.Ceil(hi/step) * step, step
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

func (c Chart) slot() float64 { return (chartW - padLeft - padRight) / float64(len(c.Labels)) }

func (c Chart) axes(b *strings.Builder, lo, hi, step float64, y func(float64) float64) {
	for v := lo; v <= hi+step/2; v += step {
		fmt.Fprintf(b, `<line class="grid" x1="%g" x2="%g" y1="%.1f" y2="%.1f"/>`, padLeft, chartW-padRight, y(v), y(v))
		fmt.Fprintf(b, `<text class="tick" x="%g" y="%.1f">%s</text>`, padLeft-6, y(v)+4, esc(number(v)))
	}
	if c.Unit != "" {
		fmt.Fprintf(b, `<text class="unit" x="4" y="%g">%s</text>`, padTop-4, esc(c.Unit))
	}
	every := (len(c.Labels) + maxXLabels - 1) / maxXLabels
	for i, l := range c.Labels {
		if i%every == 0 {
			fmt.Fprintf(b, `<text class="xlabel" x="%.1f" y="%g">%s</text>`, padLeft+(float64(i)+0.5)*c.slot(), chartH-padBot+16, esc(short(l)))
		}
	}
	c.legend(b)
}

func (c Chart) legend(b *strings.Builder) {
	x := padLeft
	for i, s := range c.Series {
		fmt.Fprintf(b, `<rect class="s%d" x="%g" y="%g" width="10" height="10"/>`, i%6, x, chartH-16)
		fmt.Fprintf(b, `<text class="legend" x="%g" y="%g">%s</text>`, x+14, chartH-7, esc(s.Name))
		x += 24 + 7*float64(len(s.Name))
	}
}

func (c Chart) bars(b *strings.Builder, y func(float64) float64) {
	slot := c.slot()
	w := slot * 0.8 / float64(len(c.Series))
	for i, label := range c.Labels {
		for j, s := range c.Series {
			v := s.Values[i]
			top, bottom := math.Min(y(v), y(0)), math.Max(y(v), y(0))
			x := padLeft + float64(i)*slot + slot*0.1 + float64(j)*w
			fmt.Fprintf(b, `<rect class="bar s%d" x="%.1f" y="%.1f" width="%.1f" height="%.1f" data-label="%s" data-value="%s"><title>%s · %s: %s</title></rect>`,
				j%6, x, top, w, bottom-top, esc(label), number(v), esc(label), esc(s.Name), number(v))
		}
	}
}

func (c Chart) lines(b *strings.Builder, y func(float64) float64) {
	slot := c.slot()
	for j, s := range c.Series {
		points := make([]string, len(s.Values))
		for i, v := range s.Values {
			points[i] = fmt.Sprintf("%.1f,%.1f", padLeft+(float64(i)+0.5)*slot, y(v))
		}
		fmt.Fprintf(b, `<polyline class="line s%d" points="%s"/>`, j%6, strings.Join(points, " "))
		for i, v := range s.Values {
			fmt.Fprintf(b, `<circle class="dot s%d" cx="%.1f" cy="%.1f" r="3"><title>%s · %s: %s</title></circle>`,
				j%6, padLeft+(float64(i)+0.5)*slot, y(v), esc(c.Labels[i]), esc(s.Name), number(v))
		}
	}
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// number writes v rounded to four decimals, without trailing zeros (3,
// 12.5, 0.0425), so that sums of tick steps print as round numbers.
func number(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e4)/1e4, 'f', -1, 64)
}

// short trims a long x label (a product name) so labels do not overlap.
func short(s string) string {
	if r := []rune(s); len(r) > 14 {
		return string(r[:13]) + "…"
	}
	return s
}
