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
	// ZeroIsData draws a chart whose values are all zero (a day of checks
	// with none refused); otherwise such a chart says "No data".
	ZeroIsData bool
	// Locale writes the axis values; the zero Locale is "en".
	Locale Locale
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
	xl := c.xLabels()
	extra := lineHeight * float64(xl.lines-1)
	fmt.Fprintf(&b, `<figure class="chart"><figcaption>%s</figcaption>`, esc(c.Title))
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" role="img" aria-label="%s">`, chartW, chartH+extra, esc(c.Title))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(c.Title))
	if c.empty() {
		fmt.Fprintf(&b, `<text class="empty" x="%g" y="%g">No data in this range</text></svg></figure>`, chartW/2, chartH/2)
		return template.HTML(b.String())
	}
	lo, hi, step := c.bounds()
	y := func(v float64) float64 { return padTop + (hi-v)/(hi-lo)*(chartH-padTop-padBot) }
	c.axes(&b, lo, hi, step, y, xl, extra)
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

func (c Chart) axes(b *strings.Builder, lo, hi, step float64, y func(float64) float64, xl xLabels, extra float64) {
	for v := lo; v <= hi+step/2; v += step {
		fmt.Fprintf(b, `<line class="grid" x1="%g" x2="%g" y1="%.1f" y2="%.1f"/>`, padLeft, chartW-padRight, y(v), y(v))
		fmt.Fprintf(b, `<text class="tick" x="%g" y="%.1f">%s</text>`, padLeft-6, y(v)+4, esc(c.Locale.Number(v)))
	}
	if c.Unit != "" {
		fmt.Fprintf(b, `<text class="unit" x="4" y="%g">%s</text>`, padTop-4, esc(c.Unit))
	}
	for i, lines := range xl.text {
		if lines == nil {
			continue
		}
		x, anchor := padLeft+(float64(i)+0.5)*c.slot(), "middle"
		// A label wider than the room beside the plot is aligned to the
		// edge instead of centred, so its ends are never cut off.
		if half := labelWidth(lines) / 2; x+half > chartW {
			x, anchor = chartW-2, "end"
		} else if x-half < 0 {
			x, anchor = 2, "start"
		}
		fmt.Fprintf(b, `<text class="xlabel" x="%.1f" y="%g" text-anchor="%s">`, x, chartH-padBot+16, anchor)
		for j, line := range lines {
			fmt.Fprintf(b, `<tspan x="%.1f" dy="%g">%s</tspan>`, x, float64(min(j, 1))*lineHeight, esc(line))
		}
		b.WriteString(`</text>`)
	}
	c.legend(b, extra)
}

func (c Chart) legend(b *strings.Builder, extra float64) {
	x := padLeft
	for i, s := range c.Series {
		fmt.Fprintf(b, `<rect class="s%d" x="%g" y="%g" width="10" height="10"/>`, i%6, x, chartH-16+extra)
		fmt.Fprintf(b, `<text class="legend" x="%g" y="%g">%s</text>`, x+14, chartH-7+extra, esc(s.Name))
		x += 24 + 7*float64(len(s.Name))
	}
}

// empty reports a chart with nothing to draw: no labels, or only zeros
// where zeros mean that nothing happened.
func (c Chart) empty() bool {
	if len(c.Labels) == 0 || len(c.Series) == 0 {
		return true
	}
	if c.ZeroIsData {
		return false
	}
	for _, s := range c.Series {
		for _, v := range s.Values {
			if v != 0 {
				return false
			}
		}
	}
	return true
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
				j%6, x, top, w, bottom-top, esc(label), number(v), esc(label), esc(s.Name), c.Locale.Number(v))
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
				j%6, padLeft+(float64(i)+0.5)*slot, y(v), esc(c.Labels[i]), esc(s.Name), c.Locale.Number(v))
		}
	}
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// number writes v rounded to four decimals, without trailing zeros (3,
// 12.5, 0.0425), so that sums of tick steps print as round numbers.
func number(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e4)/1e4, 'f', -1, 64)
}

// X-label geometry: the average width of a character of the 11-unit
// font, the height of a wrapped line, and the most lines a label takes.
const (
	charWidth    = 6.6
	lineHeight   = 13.0
	maxLabelRows = 3
)

// xLabels are the x labels drawn: text[i] holds label i's lines, nil for
// a label skipped to leave room; lines is the most lines any label takes.
type xLabels struct {
	text  [][]string
	lines int
}

// xLabels lays the labels out: never overlapping (every n-th label when
// they do not all fit) and never cut: a label wider than its room (a
// product name) wraps onto up to three lines rather than losing letters.
func (c Chart) xLabels() xLabels {
	out := xLabels{text: make([][]string, len(c.Labels)), lines: 1}
	if len(c.Labels) == 0 {
		return out
	}
	widest := 0
	for _, l := range c.Labels {
		widest = max(widest, len([]rune(l)))
	}
	slot := c.slot()
	// Labels that cannot wrap (dates, hours) set the spacing; a label
	// with spaces may use up to three lines of its slot.
	every := max(1, int(math.Ceil((float64(widest)*charWidth+8)/slot)), (len(c.Labels)+maxXLabels-1)/maxXLabels)
	if every > 1 && wraps(c.Labels) {
		every = max(1, (len(c.Labels)+maxXLabels-1)/maxXLabels)
	}
	room := max(4, int((slot*float64(every)-8)/charWidth))
	for i, l := range c.Labels {
		if i%every != 0 {
			continue
		}
		out.text[i] = wrap(l, room)
		out.lines = max(out.lines, len(out.text[i]))
	}
	return out
}

// wraps reports whether any label has a space to wrap at.
func wraps(labels []string) bool {
	for _, l := range labels {
		if strings.Contains(l, " ") {
			return true
		}
	}
	return false
}

// wrap breaks s into lines of at most room characters at spaces, at most
// maxLabelRows lines; a word longer than a line is split, never dropped.
func wrap(s string, room int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		for r := []rune(word); len(r) > room; r = []rune(word) {
			if line != "" {
				lines, line = append(lines, line), ""
			}
			lines, word = append(lines, string(r[:room])), string(r[room:])
		}
		switch {
		case line == "":
			line = word
		case len([]rune(line))+1+len([]rune(word)) <= room:
			line += " " + word
		default:
			lines, line = append(lines, line), word
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	if len(lines) > maxLabelRows {
		// Three lines at most: the rest joins the last line, which may
		// then overlap its neighbour's room but still shows every letter.
		lines = append(lines[:maxLabelRows-1], strings.Join(lines[maxLabelRows-1:], " "))
	}
	return lines
}

// labelWidth is the drawn width of a label's longest line.
func labelWidth(lines []string) float64 {
	w := 0
	for _, l := range lines {
		w = max(w, len([]rune(l)))
	}
	return float64(w) * charWidth
}
