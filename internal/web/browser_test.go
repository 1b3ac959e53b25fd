package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/usher-hub/usher/internal/testdb"
)

// chromium finds Debian's headless browser. Where it is missing the test
// skips, except in CI, where a skipped browser test would hide a broken
// dashboard.
func chromium(t *testing.T) string {
	for _, path := range []string{os.Getenv("USHER_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if path == "" {
			continue
		}
		if p, err := exec.LookPath(path); err == nil {
			return p
		}
	}
	if testdb.Required() {
		t.Fatal("no chromium: install it (apt-get install -y chromium) or set USHER_CHROMIUM")
	}
	t.Skip("no chromium found: skipping the browser test (apt-get install -y chromium)")
	return ""
}

// TestDashboardInBrowser drives the real dashboard in headless Chromium:
// sign in, see the sales chart, narrow the date filter, see the chart
// follow, and keep a screenshot (in USHER_SCREENSHOT_DIR when set, so CI
// can publish it; in the test's temporary directory otherwise).
func TestDashboardInBrowser(t *testing.T) {
	exe := chromium(t)
	ts, _ := dashboard(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1400),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	// The first action starts the browser, whose life is that context's:
	// the timeout goes on the steps after it.
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/dashboard/sales")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancelSteps := context.WithTimeout(ctx, 60*time.Second)
	defer cancelSteps()
	chart := chromedp.CSS(`svg[data-chart="sales-revenue"]`)
	bars := chromedp.CSS(`svg[data-chart="sales-revenue"] rect.bar`)
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	points := func() string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.AttributeValue(chart, "data-points"))
		if err != nil {
			t.Fatalf("read the chart: %v", err)
		}
		return v.Value
	}
	step("sign in",
		chromedp.WaitVisible(chromedp.CSS("#key")),
		chromedp.SendKeys(chromedp.CSS("#key"), venueKey),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(bars))
	before := points()
	step("filter the dates",
		chromedp.SetValue(chromedp.CSS("#from"), "2023-02-09"),
		chromedp.SetValue(chromedp.CSS("#to"), "2023-02-14"),
		chromedp.Click(chromedp.CSS("#apply")),
		chromedp.WaitVisible(chromedp.CSS(`input#from[value="2023-02-09"]`)),
		chromedp.WaitVisible(bars))
	after := points()
	screenshot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	// After signing in the page shows the default range, the 30 days up
	// to the venue's today; the filter narrows it to the 9th-14th: one bar
	// group per day.
	if before != "30" || after != "6" {
		t.Errorf("chart points before/after the date filter = %s/%s, want 30/6", before, after)
	}
	saveScreenshot(t, "dashboard-sales.png", screenshot)

	// Every other page renders in the browser too, with its chart.
	for _, pg := range []struct{ name, path, ready string }{
		{"attendance", "/dashboard/attendance?from=2023-02-01&to=2023-02-28", `svg[data-chart="attendance"] rect.bar`},
		{"gates", "/dashboard/gates?from=2023-02-01&to=2023-02-28", `svg[data-chart="gates-reasons"] rect.bar`},
		{"breakdown", "/dashboard/breakdown?from=2023-02-01&to=2023-02-28&by=audience", `svg[data-chart="breakdown-audience"] rect.bar`},
		{"contacts", "/dashboard/contacts?from=2023-02-01&to=2023-02-28&interval=week", `svg[data-chart="contacts"] rect.bar`},
		{"health", "/dashboard/health", `table#streams`},
	} {
		step(pg.name, chromedp.Navigate(ts.URL+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.ready)))
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("%s screenshot: %v", pg.name, err)
		}
		saveScreenshot(t, "dashboard-"+pg.name+".png", shot)
	}
}

func saveScreenshot(t *testing.T, name string, png []byte) {
	if len(png) < 1000 {
		t.Fatalf("screenshot of %d bytes: the page did not render", len(png))
	}
	dir := os.Getenv("USHER_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot (%s bytes): %s", strconv.Itoa(len(png)), path)
}
