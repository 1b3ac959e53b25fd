package web

import (
	"encoding/csv"
	"net/http"
	"regexp"
	"strings"
	"testing"

	fx "github.com/usher-hub/usher/internal/analytics/analyticstest"
	"github.com/usher-hub/usher/internal/testdb"
)

// The figures below are the fixture's (see analyticstest), over
// 2023-02-09..14, computed by hand:
//   - sales: gross 69 (09th) + 36 (14th), refunded 10 → net 95.00 CHF;
//     orders O1, O2, O6; tickets 5 - 1 + 3 = 7; O4 abandoned (24.00) and
//     O5 pending stay out of revenue;
//   - attendance: 7 IN, 2 OUT, 3 refused; peak 09th 11:00 with 3 entries;
//     now (09th 17:00) 5 in - 2 out = 3 inside;
//   - gates: 3 of 12 checks refused = 25 %;
//   - breakdown: checks of m999, m0 and m601 match no movement: 3 of 12;
//   - contacts: K1 and K3 new persons, K2 a new company, K1 once and K3
//     twice updated.
const fixtureRange = "/dashboard/?institution=" + fx.Institution + "&from=2023-02-09&to=2023-02-14"

func TestOverviewShowsTheFixtureFigures(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			c := e.browser(t)
			e.login(t, c, venueKey)
			page := e.get(t, c, fixtureRange)
			if page.status != http.StatusOK {
				t.Fatalf("overview: %d %s", page.status, page.body)
			}
			for _, want := range []string{
				"<b>CHF\u00a095.00</b> net revenue", "<b>3</b> orders", "<b>7</b> tickets",
				"<b>CHF\u00a010.00</b> refunded in 1 refund orders", "<b>1</b> abandoned orders (CHF\u00a024.00)", "<b>1</b> reservations and options pending",
				"<b>3</b> inside now (5 in, 2 out on 2023-02-09)", "<b>7</b> entries, <b>2</b> exits", "<b>2023-02-09, 11:00–12:00</b> (3 entries)",
				"<b>25 %</b> of 12 checks refused (3)", "<td>NO_MORE_ENTRY_ALLOWED_TODAY</td>", "<td>(no gate)</td>",
				"<b>3</b> of 12 checks (25 %)",
				"<b>2</b> new persons, <b>1</b> new companies", "<b>3</b> person and <b>0</b> company updates",
			} {
				if !strings.Contains(page.body, want) {
					t.Errorf("overview lacks %q", want)
				}
			}
			bars := map[string]string{
				// the IN bar of the 9th in "Checks per day", the net revenue dot
				// of the 14th, and the unmatched bar of the breakdown.
				`data-label="2023-02-09" data-value="5"`: "IN on the 9th",
				`data-label="Unmatched" data-value="2"`:  "unmatched IN",
				`data-label="2023-02-14" data-value="3"`: "tickets on the 14th",
			}
			for attr, what := range bars {
				if !strings.Contains(page.body, attr) {
					t.Errorf("no bar for %s (%s)", what, attr)
				}
			}
			if n := strings.Count(page.body, "<svg"); n != 9 {
				t.Errorf("%d charts, want 9", n)
			}
			if got := len(regexp.MustCompile(`/dashboard/export/myvenue/[a-z]+\?`).FindAllString(page.body, -1)); got != 8 {
				t.Errorf("%d CSV links, want one per report table (8)", got)
			}
		})
	}
}

func TestCSVExportMatchesTheChart(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			c := e.browser(t)
			e.login(t, c, venueKey)
			res := e.get(t, c, "/dashboard/export/myvenue/sales?from=2023-02-09&to=2023-02-14&interval=day&by=all&format=csv")
			if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") {
				t.Fatalf("export: %d %q %s", res.status, res.header.Get("Content-Type"), res.body)
			}
			rows, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 7 || rows[1][0] != "2023-02-09" || rows[1][7] != "69.00" || rows[2][7] != "-10.00" {
				t.Errorf("sales CSV = %v, want 6 days, 69.00 on the 9th and -10.00 on the 10th", rows)
			}
			reasons := e.get(t, c, "/dashboard/export/myvenue/gates?from=2023-02-09&to=2023-02-14&by=gate&table=reasons&format=csv")
			if reasons.status != http.StatusOK || !strings.Contains(reasons.body, "ALREADY_USED") {
				t.Errorf("reasons CSV: %d %s", reasons.status, reasons.body)
			}
			if bad := e.get(t, c, "/dashboard/export/myvenue/nosuch?format=csv"); bad.status != http.StatusNotFound || !strings.Contains(bad.body, `"code"`) {
				t.Errorf("unknown report: %d %s, want a 404 JSON error", bad.status, bad.body)
			}
		})
	}
}

func TestHealthPageShowsStreamsAndQuarantine(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			c := e.browser(t)
			e.login(t, c, venueKey)
			page := e.get(t, c, "/dashboard/health")
			if page.status != http.StatusOK {
				t.Fatalf("health: %d %s", page.status, page.body)
			}
			for _, want := range []string{"<td>contacts</td>", "<td>orders</td>", "<td>ticketchecks</td>",
				"order 10000000099", "/orderDetailsData/orderId: missing", "1 of them are ticket checks in conflict"} {
				if !strings.Contains(page.body, want) {
					t.Errorf("health page lacks %q", want)
				}
			}
			if strings.Contains(page.body, ">never<") {
				t.Errorf("a stream that received the fixture shows no last push")
			}
		})
	}
}

func TestHealthPageWithoutQuarantine(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.h.quarantine = nil
	c := e.browser(t)
	e.login(t, c, venueKey)
	if page := e.get(t, c, "/dashboard/health"); page.status != http.StatusOK || !strings.Contains(page.body, "keeps no quarantine") {
		t.Errorf("health without quarantine: %d", page.status)
	}
}

func TestBadFiltersGiveAnErrorPage(t *testing.T) {
	e := newEnv(t, "sqlite")
	c := e.browser(t)
	e.login(t, c, venueKey)
	for path, want := range map[string]string{
		"/dashboard/?from=2023-02-14&to=2023-02-09": "is before from",
		"/dashboard/?from=yesterday":                "from must be a date",
		"/dashboard/?interval=hour":                 "not available",
		"/dashboard/?form=2023-02-09":               "unknown parameter",
		"/dashboard/?institution=a&institution=b":   "give it once",
		"/dashboard/health?from=2023-02-09":         "unknown parameter",
	} {
		res := e.get(t, c, path)
		if res.status != http.StatusBadRequest || !strings.Contains(res.body, want) {
			t.Errorf("%s: %d, want 400 saying %q", path, res.status, want)
		}
	}
}
