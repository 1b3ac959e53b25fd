package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's Chromium, which the browser test drives.
const chromiumPath = "/usr/bin/chromium"

// TestDashboardInChromium signs in with a real headless Chromium, sees the
// attendance chart, changes the date range through the form and sees the
// chart change, and takes a screenshot. Where Chromium is missing it
// skips, except in CI, where a skipped browser test would hide a broken
// dashboard.
func TestDashboardInChromium(t *testing.T) {
	if _, err := exec.LookPath(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %s is missing: install chromium (apt-get install chromium)", chromiumPath)
		}
		t.Skipf("%s not installed", chromiumPath)
	}
	e := newEnv(t, "sqlite")
	ctx := newBrowser(t)

	attendanceBars := chromedp.Evaluate[int](`document.querySelector("#attendance svg.chart").querySelectorAll("rect.bar").length`)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#key`)),
		chromedp.SendKeys(chromedp.CSS(`#key`), venueKey),
		chromedp.Click(chromedp.CSS(`.login button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#attendance svg.chart rect.bar`)),
	); err != nil {
		t.Fatalf("sign in and see a chart: %v", err)
	}
	before, err := chromedp.Run(ctx, attendanceBars)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`input[name=from]`), "2023-02-09"),
		chromedp.SetValue(chromedp.CSS(`input[name=to]`), "2023-02-14"),
		chromedp.Click(chromedp.CSS(`form.filter button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#attendance svg.chart rect.bar[data-label="2023-02-14"]`)),
	); err != nil {
		t.Fatalf("change the date range: %v", err)
	}
	after, err := chromedp.Run(ctx, attendanceBars)
	if err != nil {
		t.Fatal(err)
	}
	// The default range fits the data: of the 30 days up to the clock's
	// 2023-02-09, only the 9th holds any. The new range is 6 days. Three
	// series (IN, OUT, refused) per day.
	if before != 1*3 || after != 6*3 {
		t.Errorf("attendance bars: %d before and %d after the filter change, want 3 and 18", before, after)
	}
	in14, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`#attendance svg.chart rect.bar.s0[data-label="2023-02-14"]`), "data-value"))
	if err != nil || in14.Value != "1" {
		t.Errorf("IN bar of the 14th: %q (%v), want 1", in14.Value, err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, shot)
}

// newBrowser starts a headless Chromium with a fresh profile, closed when
// the test ends.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1600),
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), 90*time.Second)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc(); cancelTimeout() })
	return ctx
}

// saveScreenshot writes the screenshot into the test's temporary
// directory, and into USHER_SCREENSHOT_DIR when set, so CI can keep it.
func saveScreenshot(t *testing.T, png []byte) {
	t.Helper()
	if !strings.HasPrefix(string(png), "\x89PNG") {
		t.Fatalf("screenshot is not a PNG (%d bytes)", len(png))
	}
	dirs := []string{t.TempDir()}
	if d := os.Getenv("USHER_SCREENSHOT_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	for _, dir := range dirs {
		path := filepath.Join(dir, "dashboard.png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
}
