package storefront_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/usher-hub/usher/internal/mail/mailtest"
)

// chromium finds Debian's Chromium; a machine without it skips the
// browser test, except in CI, where it must run.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install chromium); the storefront's browser test must run in CI")
	}
	t.Skip("chromium is not installed: skipping the storefront's browser test")
	return ""
}

func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.WindowSize(1000, 1400),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// A visitor in a real browser picks a day, sees its sessions, holds two
// tickets, checks out, sees the barcodes, and the e-mail with the same
// barcodes arrives at the SMTP server: on both engines.
func TestStorefrontInABrowser(t *testing.T) {
	chromium(t)
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) { buyInBrowser(t, engine) })
	}
}

// run runs one action that returns a value, failing the test on error.
func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

func buyInBrowser(t *testing.T, engine string) {
	s := newShop(t, engine)
	tomorrow := s.env.Clock.Now().AddDate(0, 0, 1).Format("2006-01-02")
	var id, adult int64
	for _, ss := range s.env.Sim.Sessions(tomorrow) {
		if ss.Capacity == 20 {
			id, adult = ss.ID, ss.TicketIDs[0]
			break
		}
	}
	ctx := browser(t)
	slot := fmt.Sprintf(`li.slot[data-event="%d"]`, id)
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.url),
		chromedp.WaitVisible(chromedp.CSS(`#slots li.slot`)),
		chromedp.SetValue(chromedp.ID("day"), tomorrow),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`document.getElementById("day").dispatchEvent(new Event("change"))`)(ctx, t)
			return err
		}),
		chromedp.WaitVisible(chromedp.CSS(slot)),
		chromedp.SetValue(chromedp.ID(fmt.Sprintf("qty-%d-%d", id, adult)), "2"),
		chromedp.Click(chromedp.CSS(slot+` button.hold`)),
		chromedp.WaitVisible(chromedp.ID("hold")),
		chromedp.SendKeys(chromedp.ID("first-name"), "Ann"),
		chromedp.SendKeys(chromedp.ID("last-name"), "Nguyen"),
		chromedp.SendKeys(chromedp.ID("email"), "ann@example.org"),
		chromedp.Click(chromedp.ID("checkout")),
		chromedp.WaitVisible(chromedp.ID("confirmation")),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	freshness := run(t, ctx, chromedp.Text(chromedp.ID("freshness")))
	summary := run(t, ctx, chromedp.TextContent(chromedp.ID("hold-summary")))
	confirmation := run(t, ctx, chromedp.Text(chromedp.ID("confirmation-summary")))
	barcodes := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#tickets .barcode-text")].map(e => e.textContent)`))
	imagesLoaded := run(t, ctx, chromedp.Poll[bool](`[...document.querySelectorAll("#tickets img")].every(i => i.complete && i.naturalWidth > 0)`,
		chromedp.WithPollingTimeout(20*time.Second)))
	shot := run(t, ctx, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(t.TempDir(), "storefront.png"), shot, 0o600); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("USHER_SCREENSHOT_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "storefront-"+engine+".png"), shot, 0o600)
	}
	if !strings.Contains(freshness, "Availability as of") || !strings.Contains(summary, "2 ticket(s)") || !strings.Contains(summary, tomorrow) {
		t.Fatalf("freshness %q, hold summary %q", freshness, summary)
	}
	if !strings.Contains(confirmation, "Booking") || len(barcodes) != 2 || !imagesLoaded {
		t.Fatalf("confirmation %q, barcodes %v, images loaded %v", confirmation, barcodes, imagesLoaded)
	}
	select {
	case <-s.env.SMTP.Arrived():
	case <-ctx.Done():
		t.Fatal("no e-mail arrived")
	}
	msg, err := s.env.SMTP.Only()
	if err != nil {
		t.Fatal(err)
	}
	e, err := mailtest.Parse(msg.Data)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(e.Barcodes, ",") != strings.Join(barcodes, ",") || e.To != "ann@example.org" {
		t.Fatalf("e-mail to %s scans as %v, page shows %v", e.To, e.Barcodes, barcodes)
	}
	if s.env.Sim.Bookings() != 1 || s.env.Sim.Sold(id) == 0 {
		t.Fatalf("%d bookings upstream, want 1", s.env.Sim.Bookings())
	}
}
