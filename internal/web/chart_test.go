package web

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestNiceStep(t *testing.T) {
	for x, want := range map[float64]float64{0.3: 0.5, 1: 1, 1.2: 2, 3: 5, 7: 10, 23: 50, 2500: 5000} {
		if got := niceStep(x); got != want {
			t.Errorf("niceStep(%g) = %g, want %g", x, got, want)
		}
	}
}

func TestChartGridlinesFallOnTheStep(t *testing.T) {
	c := Chart{Labels: []string{"a", "b"}, Series: []Series{{"net", []float64{-10, 69}}}}
	lo, hi, step := c.bounds()
	if lo != -20 || hi != 80 || step != 20 {
		t.Errorf("bounds = %g..%g step %g, want -20..80 step 20", lo, hi, step)
	}
	counts := Chart{Labels: []string{"a"}, Series: []Series{{"n", []float64{1}}}}
	if _, _, step := counts.bounds(); step != 1 {
		t.Errorf("a count axis steps by %g, want 1", step)
	}
	svg := string(c.SVG())
	for _, tick := range []string{">-20<", ">0<", ">20<", ">80<"} {
		if !strings.Contains(svg, tick) {
			t.Errorf("no %s tick in %s", tick, svg)
		}
	}
}

func TestChartDrawsOneBarPerValue(t *testing.T) {
	c := Chart{Title: "t", Labels: []string{"a", "b", "c"}, Series: []Series{{"IN", []float64{1, 4, 0}}, {"OUT", []float64{2, 0, 3}}}}
	svg := string(c.SVG())
	if n := strings.Count(svg, `class="bar `); n != 6 {
		t.Fatalf("%d bars, want 6", n)
	}
	// 4 is the top of the axis: its bar spans the whole plot height; a
	// zero has no height.
	bar := regexp.MustCompile(`y="([\d.]+)" width="[\d.]+" height="([\d.]+)" data-label="b" data-value="4"`).FindStringSubmatch(svg)
	if bar == nil || bar[1] != "16.0" || bar[2] != "196.0" {
		t.Errorf("bar b = 4: %v, want y 16.0 and height 196.0", bar)
	}
	if !strings.Contains(svg, `height="0.0" data-label="c" data-value="0"`) {
		t.Errorf("bar c = 0 should have no height: %s", svg)
	}
}

func TestChartEscapesLabelsAndHandlesNegativesAndNoData(t *testing.T) {
	c := Chart{Title: `<b>"x"</b>`, Labels: []string{`<script>alert(1)</script>`}, Series: []Series{{"net & gross", []float64{-10}}}, Lines: true}
	svg := string(c.SVG())
	if strings.Contains(svg, "<script>") || strings.Contains(svg, `"x"`) || strings.Contains(svg, "net & gross") {
		t.Errorf("unescaped text in %s", svg)
	}
	if !strings.Contains(svg, ">-10<") {
		t.Errorf("a negative value needs an axis below zero: %s", svg)
	}
	empty := string(Chart{Title: "none"}.SVG())
	if !strings.Contains(empty, "No data in this range") || strings.Contains(empty, "<rect") {
		t.Errorf("empty chart: %s", empty)
	}
}

// A long product name wraps onto lines instead of losing letters, and a
// date at the right end is aligned to the edge instead of being cut.
func TestXLabelsAreNeverCut(t *testing.T) {
	products := Chart{Title: "p", Labels: []string{"Light and Matter: Photography 1900-2000", "Permanent Collection", "Unmatched"},
		Series: []Series{{Name: "IN", Values: []float64{1, 2, 3}}}}
	// Only the drawn labels count: the bars' titles hold the full names.
	var drawn strings.Builder
	for _, m := range regexp.MustCompile(`<text class="xlabel"[^>]*>(.*?)</text>`).FindAllStringSubmatch(string(products.SVG()), -1) {
		drawn.WriteString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], " ") + " ")
	}
	svg := drawn.String()
	var words []string
	for _, l := range products.Labels {
		words = append(words, strings.Fields(l)...)
	}
	for _, word := range words {
		if !strings.Contains(svg, word) {
			t.Errorf("the product labels lose %q:\n%s", word, svg)
		}
	}
	if strings.Contains(svg, "…") {
		t.Errorf("a label was cut: %s", svg)
	}
	var days []string
	var values []float64
	for d := 1; d <= 31; d++ {
		days = append(days, fmt.Sprintf("2025-01-%02d", d))
		values = append(values, float64(d))
	}
	month := string(Chart{Title: "m", Labels: days, Series: []Series{{Name: "IN", Values: values}}}.SVG())
	for _, m := range regexp.MustCompile(`<text class="xlabel" x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)"><tspan[^>]*>([^<]+)</tspan>`).FindAllStringSubmatch(month, -1) {
		x, _ := strconv.ParseFloat(m[1], 64)
		half := float64(len(m[3])) * charWidth / 2
		if m[2] == "middle" && (x+half > chartW || x-half < 0) {
			t.Errorf("label %s centred at %g runs off the chart", m[3], x)
		}
	}
	if !strings.Contains(month, ">2025-01-31<") && !strings.Contains(month, ">2025-01-29<") {
		t.Errorf("the last labels are missing:\n%s", month)
	}
}

// A range with nothing in it says so instead of drawing flat lines, but a
// day of checks with none refused is a real zero.
func TestEmptyChartSaysNoData(t *testing.T) {
	flat := Chart{Title: "f", Labels: []string{"2025-01-01", "2025-01-02"}, Series: []Series{{Name: "IN", Values: []float64{0, 0}}}}
	if svg := string(flat.SVG()); !strings.Contains(svg, "No data in this range") || strings.Contains(svg, "rect class=\"bar") {
		t.Errorf("an all-zero chart is drawn flat:\n%s", svg)
	}
	flat.ZeroIsData = true
	if svg := string(flat.SVG()); strings.Contains(svg, "No data") {
		t.Errorf("a chart of real zeros says no data")
	}
}
