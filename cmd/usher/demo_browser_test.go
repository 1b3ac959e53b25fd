package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/usher-hub/usher/internal/testdb"
)

// demoFaces are what `usher demo` prints: one URL per face and the key.
type demoFaces struct {
	dashboard, storefront, mail, crm, key string
}

var demoFaceLine = regexp.MustCompile(`(?m)^  (Dashboard|Storefront|E-mails|CRM receiver) +(http://\S+)$`)

// readDemoBanner waits for the banner and reads it as a newcomer would:
// every face and the API key.
func readDemoBanner(t *testing.T, p *process) demoFaces {
	t.Helper()
	key := p.stdout.waitFor(t, regexp.MustCompile(`(?m)^  API key: (\S+)$`), p.exited)[1]
	f := demoFaces{key: key}
	for _, m := range demoFaceLine.FindAllStringSubmatch(p.stdout.String(), -1) {
		switch m[1] {
		case "Dashboard":
			f.dashboard = m[2]
		case "Storefront":
			f.storefront = m[2]
		case "E-mails":
			f.mail = m[2]
		case "CRM receiver":
			f.crm = m[2]
		}
	}
	if f.dashboard == "" || f.storefront == "" || f.mail == "" || f.crm == "" || len(key) < 16 {
		t.Fatalf("the demo's banner lacks a face or the key: %+v\n%s", f, p.stdout.String())
	}
	return f
}

// demoBrowser starts a headless Chromium; without one it skips, except
// in CI.
func demoBrowser(t *testing.T) context.Context {
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

// screenshot saves the page to the test's directory, and to
// $USHER_SCREENSHOT_DIR when set, so a person can look at each face.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
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

func must[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// TestDemoInABrowser starts `usher demo` and, from what it prints alone,
// goes through every face in a real browser: signs in to the dashboard
// with the printed key and sees sales, buys two tickets in the
// storefront, finds the e-ticket with the same barcodes on the e-mails
// page, and finds the booking at the CRM receiver, its signature checked.
func TestDemoInABrowser(t *testing.T) {
	ctx := demoBrowser(t)
	demo := startProcess(t, nil, "demo", "--listen", "127.0.0.1:0", "--crm-listen", "127.0.0.1:0",
		"--database", testdb.SQLite(t), "--days", "3", "--scale", "0.3", "--interval", "2s")
	faces := readDemoBanner(t, demo)
	demo.stdout.waitFor(t, regexp.MustCompile(`run 1: `), demo.exited)
	shots := t.TempDir()

	// The dashboard: the printed key signs in, and sales show.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(faces.dashboard),
		chromedp.WaitVisible(chromedp.CSS(`#key`)),
		chromedp.SendKeys(chromedp.CSS(`#key`), faces.key),
		chromedp.Click(chromedp.CSS(`.login button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#sales`)),
	); err != nil {
		t.Fatalf("sign in with the printed key: %v\npage: %s", err, must(t, ctx, "page text", chromedp.Text(chromedp.CSS(`main`))))
	}
	// The reports follow the pushes within a projector interval or two.
	orders := pollPage(t, ctx, `document.querySelector("#sales .figures li:nth-child(2) b").textContent`,
		func(s string) bool { return s != "" && s != "0" })
	screenshot(t, ctx, shots, "dashboard")
	if orders == "" || orders == "0" {
		t.Fatalf("the dashboard shows %q orders after the venue's history arrived", orders)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`nav a[href^="/dashboard/health"]`)), chromedp.WaitVisible(chromedp.CSS(`main table`))); err != nil {
		t.Fatalf("ingest health: %v", err)
	}
	lastPush := must(t, ctx, "last push", chromedp.Text(chromedp.CSS(`main table tbody tr td:nth-child(2)`)))
	screenshot(t, ctx, shots, "health")
	if strings.Contains(lastPush, "never") {
		t.Errorf("ingest health says the first stream never pushed")
	}

	// The storefront: two tickets for tomorrow's first session.
	tomorrow := time.Now().AddDate(0, 0, 1).Format("2006-01-02")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(faces.storefront),
		chromedp.WaitVisible(chromedp.CSS(`#slots li.slot`)),
		chromedp.SetValue(chromedp.ID("day"), tomorrow),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`document.getElementById("day").dispatchEvent(new Event("change"))`)(ctx, tg)
			return err
		}),
		chromedp.WaitVisible(chromedp.CSS(`#slots li.slot:not(.sold-out) input.qty`)),
		chromedp.SetValue(chromedp.CSS(`#slots li.slot:not(.sold-out) input.qty`), "2"),
		chromedp.Click(chromedp.CSS(`#slots li.slot:not(.sold-out) button.hold`)),
		chromedp.WaitVisible(chromedp.ID("hold")),
		chromedp.SendKeys(chromedp.ID("first-name"), "Ann"),
		chromedp.SendKeys(chromedp.ID("last-name"), "Nguyen"),
		chromedp.SendKeys(chromedp.ID("email"), "ann@example.org"),
		chromedp.Click(chromedp.ID("checkout")),
		chromedp.WaitVisible(chromedp.ID("confirmation")),
	); err != nil {
		t.Fatalf("buy two tickets in the storefront: %v", err)
	}
	confirmation := must(t, ctx, "confirmation", chromedp.Text(chromedp.ID("confirmation-summary")))
	barcodes := must(t, ctx, "barcodes", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#tickets .barcode-text")].map(e => e.textContent)`))
	screenshot(t, ctx, shots, "storefront")
	booking := regexp.MustCompile(`Booking (\d+)`).FindStringSubmatch(confirmation)
	if booking == nil || len(barcodes) != 2 {
		t.Fatalf("confirmation %q, barcodes %v", confirmation, barcodes)
	}

	// The e-mails page: the e-ticket with the same two barcodes.
	if err := chromedp.Do(ctx, chromedp.Navigate(faces.mail)); err != nil {
		t.Fatal(err)
	}
	mailed := pollPage(t, ctx, `[...document.querySelectorAll(".mail .barcode-text")].map(e => e.textContent).join(",")`,
		func(s string) bool { return s == strings.Join(barcodes, ",") })
	screenshot(t, ctx, shots, "mail")
	if mailed != strings.Join(barcodes, ",") {
		t.Fatalf("the e-mails page shows barcodes %q, the storefront %v", mailed, barcodes)
	}

	// The CRM receiver: the booking arrived, its signature verified.
	if err := chromedp.Do(ctx, chromedp.Navigate(faces.crm)); err != nil {
		t.Fatal(err)
	}
	row := fmt.Sprintf(`[...document.querySelectorAll("tr.delivery")].filter(r => r.querySelector(".document").textContent === %q && r.querySelector(".stream").textContent === "centaman.booking").map(r => r.textContent).join("")`, booking[1])
	got := pollPage(t, ctx, row, func(s string) bool { return s != "" })
	screenshot(t, ctx, shots, "crm")
	if !strings.Contains(got, "verified") {
		t.Fatalf("the CRM receiver lists booking %s as %q, want it verified", booking[1], got)
	}
	// A CRM write goes to S-360 through the outbox, comes back in S-360's
	// contact webhook, and is recognised as the CRM's own echo.
	crmWriteComesBack(t, faces)
	t.Logf("screenshots in %s", shots)
	demo.stop(t)
}

// crmWriteComesBack writes a contact as the CRM would, with the printed
// key and the institution of the storefront's URL, and waits until usher
// has suppressed its echo from S-360.
func crmWriteComesBack(t *testing.T, f demoFaces) {
	t.Helper()
	base := strings.TrimSuffix(f.dashboard, "/dashboard/")
	institution := path.Base(strings.TrimSuffix(f.storefront, "/"))
	body := `{"contact":{"email":"crm-write@example.org","individualContact":{"firstName":"Cora","lastName":"Writes"}},"reference":"crm-demo-1"}`
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/crm/"+institution+"/contacts", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("CRM write: %d", res.StatusCode)
	}
	deadline := time.Now().Add(waitTimeout)
	for {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/outbox", nil)
		req.Header.Set("Authorization", "Bearer "+f.key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var status struct {
			Institutions []struct {
				Extra struct {
					Echoes map[string]int `json:"echoes"`
				} `json:"extra"`
			} `json:"institutions"`
		}
		err = json.NewDecoder(res.Body).Decode(&status)
		res.Body.Close()
		if err == nil && len(status.Institutions) == 1 && status.Institutions[0].Extra.Echoes["suppressed"] >= 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the CRM's write never came back from S-360 as a suppressed echo: %+v (%v)", status, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// pollPage evaluates expr, reloading the page, until ok accepts its value
// or a minute passes; it returns the last value, for the caller to judge.
func pollPage(t *testing.T, ctx context.Context, expr string, ok func(string) bool) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var last string
	for {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err == nil {
			last = v
			if ok(v) {
				return v
			}
		}
		select {
		case <-ctx.Done():
			return last
		case <-time.After(500 * time.Millisecond):
		}
		if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
			return last
		}
	}
}
