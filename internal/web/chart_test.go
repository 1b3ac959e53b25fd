package web

import (
	"regexp"
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
