package web

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Chart is a bar chart rendered as SVG on the server. It needs no script
// and no inline style (colours come from the stylesheet by class), so the
// dashboard keeps a strict Content-Security-Policy and works offline.
type Chart struct {
	// Name identifies the chart (data-chart attribute, used by tests).
	Name   string
	Title  string
	Labels []string
	Series []Series
	// Stacked piles the series on one bar; otherwise they stand side by side.
	Stacked bool
	// Horizontal draws one row per label, for long labels (products).
	Horizontal bool
	// Decimals is how many decimals values show.
	Decimals int
}

// Series is one set of values, one per label, coloured by Class.
type Series struct {
	Name   string
	Class  string
	Values []float64
}

const (
	chartWidth   = 960
	chartHeight  = 320
	marginLeft   = 72
	marginRight  = 16
	marginTop    = 16
	marginBottom = 40
	rowHeight    = 28
	labelWidth   = 220
)

// SVG renders the chart.
func (c Chart) SVG() template.HTML {
	var b strings.Builder
	if len(c.Labels) == 0 {
		fmt.Fprintf(&b, `<svg class="chart" data-chart="%s" data-points="0" viewBox="0 0 %d 60" role="img" aria-label="%s"><text class="empty" x="%d" y="34">No data in this range</text></svg>`,
			html.EscapeString(c.Name), chartWidth, html.EscapeString(c.Title), chartWidth/2)
		return template.HTML(b.String())
	}
	if c.Horizontal {
		c.horizontal(&b)
	} else {
		c.vertical(&b)
	}
	return template.HTML(b.String())
}

// bounds returns the value range the axis must show, always including 0.
func (c Chart) bounds() (lo, hi float64) {
	for i := range c.Labels {
		var pos, neg float64
		for _, s := range c.Series {
			v := s.Values[i]
			if c.Stacked {
				if v > 0 {
					pos += v
				} else {
					neg += v
				}
			} else {
				pos, neg = math.Max(pos, v), math.Min(neg, v)
			}
		}
		hi, lo = math.Max(hi, pos), math.Min(lo, neg)
	}
	if hi == lo {
		hi = lo + 1
	}
	return lo, hi
}

// niceScale widens [lo, hi] to round tick steps, about five ticks.
func niceScale(lo, hi float64) (min, max, step float64) {
	raw := (hi - lo) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = mag * 10
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*mag {
			step = m * mag
			break
		}
	}
	return math.Floor(lo/step) * step, math.Ceil(hi/step) * step, step
}

func (c Chart) open(b *strings.Builder, height int) {
	fmt.Fprintf(b, `<svg class="chart" data-chart="%s" data-points="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		html.EscapeString(c.Name), len(c.Labels), chartWidth, height, html.EscapeString(c.Title))
}

func (c Chart) vertical(b *strings.Builder) {
	c.open(b, chartHeight)
	lo, hi, step := niceScale(c.bounds())
	plotW, plotH := float64(chartWidth-marginLeft-marginRight), float64(chartHeight-marginTop-marginBottom)
	y := func(v float64) float64 { return marginTop + plotH*(hi-v)/(hi-lo) }
	for t := lo; t <= hi+step/2; t += step {
		fmt.Fprintf(b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/><text class="tick" x="%d" y="%.1f" text-anchor="end">%s</text>`,
			marginLeft, chartWidth-marginRight, y(t), y(t), marginLeft-6, y(t)+4, axisNumber(t, step))
	}
	n := float64(len(c.Labels))
	group := plotW / n
	every := int(math.Ceil(n / 12))
	for i, label := range c.Labels {
		x0 := marginLeft + group*float64(i)
		c.verticalBars(b, i, x0, group, y)
		if i%every == 0 {
			fmt.Fprintf(b, `<text class="label" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x0+group/2, chartHeight-marginBottom+18, html.EscapeString(label))
		}
	}
	fmt.Fprintf(b, `<line class="axis" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/></svg>`, marginLeft, chartWidth-marginRight, y(0), y(0))
}

func (c Chart) verticalBars(b *strings.Builder, i int, x0, group float64, y func(float64) float64) {
	width := group * 0.8 / float64(len(c.Series))
	if c.Stacked {
		width = group * 0.8
	}
	var pos, neg float64
	for k, s := range c.Series {
		v := s.Values[i]
		x, base := x0+group*0.1+width*float64(k), 0.0
		if c.Stacked {
			x = x0 + group*0.1
			if v >= 0 {
				base, pos = pos, pos+v
			} else {
				base, neg = neg, neg+v
			}
		}
		top, bottom := y(math.Max(base, base+v)), y(math.Min(base, base+v))
		fmt.Fprintf(b, `<rect class="bar %s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s · %s: %s</title></rect>`,
			s.Class, x, top, math.Max(width-1, 1), bottom-top, html.EscapeString(c.Labels[i]), html.EscapeString(s.Name), c.number(v))
	}
}

func (c Chart) horizontal(b *strings.Builder) {
	height := marginTop + rowHeight*len(c.Labels) + 24
	c.open(b, height)
	lo, hi, step := niceScale(c.bounds())
	plotW := float64(chartWidth - labelWidth - marginRight - 48)
	x := func(v float64) float64 { return labelWidth + plotW*(v-lo)/(hi-lo) }
	for t := lo; t <= hi+step/2; t += step {
		fmt.Fprintf(b, `<line class="grid" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/><text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>`,
			x(t), x(t), marginTop, height-24, x(t), height-8, axisNumber(t, step))
	}
	bar := float64(rowHeight-8) / float64(len(c.Series))
	for i, label := range c.Labels {
		y0 := float64(marginTop + rowHeight*i + 4)
		fmt.Fprintf(b, `<text class="label" x="%d" y="%.1f" text-anchor="end">%s</text>`, labelWidth-8, y0+float64(rowHeight)/2, html.EscapeString(shorten(label, 32)))
		for k, s := range c.Series {
			v := s.Values[i]
			left, right := x(math.Min(0, v)), x(math.Max(0, v))
			fmt.Fprintf(b, `<rect class="bar %s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s · %s: %s</title></rect>`,
				s.Class, left, y0+bar*float64(k), math.Max(right-left, 1), bar-1, html.EscapeString(label), html.EscapeString(s.Name), c.number(v))
		}
	}
	fmt.Fprintf(b, `<line class="axis" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/></svg>`, x(0), x(0), marginTop, height-24)
}

func (c Chart) number(v float64) string { return strconv.FormatFloat(v, 'f', c.Decimals, 64) }

// axisNumber writes a tick value with as many decimals as the step needs.
func axisNumber(v, step float64) string {
	decimals := 0
	for s := step; s < 1 && decimals < 4; s *= 10 {
		decimals++
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
