// Package browsertest drives a headless Chromium for the tests that look
// at usher's pages as a person does (the demo, the dashboard's Load page).
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Start starts a headless Chromium; without one it skips, except
// in CI.
func Start(t *testing.T) context.Context {
	t.Helper()
	const chromium = "/usr/bin/chromium"
	if _, err := exec.LookPath(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %s is missing: install chromium", chromium)
		}
		t.Skipf("%s not installed", chromium)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.WindowSize(1200, 1000))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// Screenshot saves the page to the test's directory, and to
// $USHER_SCREENSHOT_DIR when set, so a person can look at each face.
func Screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	shoot := chromedp.FullScreenshot(100) // 100: PNG; less is JPEG
	if name == "crm" {
		shoot = chromedp.CaptureScreenshot() // the newest deliveries; the page grows all day
	}
	shot, err := chromedp.Run(ctx, shoot)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	for _, d := range []string{dir, os.Getenv("USHER_SCREENSHOT_DIR")} {
		if d != "" {
			if err := os.WriteFile(filepath.Join(d, "demo-"+name+".png"), shot, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Must runs a and returns its value, failing t with what on error.
func Must[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}
