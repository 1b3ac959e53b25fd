package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/usher-hub/usher/internal/browsertest"
	"github.com/usher-hub/usher/internal/testdb"
)

// demoFaces are what `usher demo` prints: one URL per face and the key.
type demoFaces struct {
	dashboard, storefront, mail, crm, key string
}

var demoFaceLine = regexp.MustCompile(`(?m)^  (Dashboard|Storefront|E-mails|CRM receiver) +(http://\S+)$`)

// readDemoBanner waits for the banner and reads it as a newcomer would:
// every face and the API key.
func readDemoBanner(t *testing.T, p *proc) demoFaces {
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

// TestDemoInABrowser starts `usher demo` and, from what it prints alone,
// goes through every face in a real browser: signs in to the dashboard
// with the printed key and sees sales, buys two tickets in the
// storefront, finds the e-ticket with the same barcodes on the e-mails
// page, and finds the booking at the CRM receiver, its signature checked.
func TestDemoInABrowser(t *testing.T) {
	ctx := browsertest.Start(t)
	demo := start(t, nil, "demo", "--listen", "127.0.0.1:0", "--crm-listen", "127.0.0.1:0",
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
		t.Fatalf("sign in with the printed key: %v\npage: %s", err, browsertest.Must(t, ctx, "page text", chromedp.Text(chromedp.CSS(`main`))))
	}
	// The reports follow the pushes within a projector interval or two.
	orders := pollPage(t, ctx, `document.querySelector("#sales .figures li:nth-child(2) b").textContent`,
		func(s string) bool { return s != "" && s != "0" })
	browsertest.Screenshot(t, ctx, shots, "dashboard")
	if orders == "" || orders == "0" {
		t.Fatalf("the dashboard shows %q orders after the venue's history arrived", orders)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`nav a[href^="/dashboard/health"]`)), chromedp.WaitVisible(chromedp.CSS(`main table`))); err != nil {
		t.Fatalf("ingest health: %v", err)
	}
	lastPush := browsertest.Must(t, ctx, "last push", chromedp.Text(chromedp.CSS(`main table tbody tr td:nth-child(2)`)))
	browsertest.Screenshot(t, ctx, shots, "health")
	if strings.Contains(lastPush, "never") {
		t.Errorf("ingest health says the first stream never pushed")
	}
	// The Documents page: the venue's orders, each version kept.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`nav a[href^="/dashboard/documents"]`)), chromedp.WaitVisible(chromedp.CSS(`#documents tr.document a`))); err != nil {
		t.Fatalf("documents: %v", err)
	}
	browsertest.Screenshot(t, ctx, shots, "documents")

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
	confirmation := browsertest.Must(t, ctx, "confirmation", chromedp.Text(chromedp.ID("confirmation-summary")))
	barcodes := browsertest.Must(t, ctx, "barcodes", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#tickets .barcode-text")].map(e => e.textContent)`))
	browsertest.Screenshot(t, ctx, shots, "storefront")
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
	browsertest.Screenshot(t, ctx, shots, "mail")
	if mailed != strings.Join(barcodes, ",") {
		t.Fatalf("the e-mails page shows barcodes %q, the storefront %v", mailed, barcodes)
	}

	// The CRM receiver: the booking arrived, its signature verified.
	if err := chromedp.Do(ctx, chromedp.Navigate(faces.crm)); err != nil {
		t.Fatal(err)
	}
	row := fmt.Sprintf(`[...document.querySelectorAll("tr.delivery")].filter(r => r.querySelector(".document").textContent === %q && r.querySelector(".stream").textContent === "centaman.booking").map(r => r.textContent).join("")`, booking[1])
	got := pollPage(t, ctx, row, func(s string) bool { return s != "" })
	browsertest.Screenshot(t, ctx, shots, "crm")
	if !strings.Contains(got, "verified") {
		t.Fatalf("the CRM receiver lists booking %s as %q, want it verified", booking[1], got)
	}
	// The CRM's writes go to S-360 through the outbox and come back in the
	// shared venue's next pushes: the contact as an echo usher keeps from
	// the CRM, the booking as an order the CRM receives.
	number := crmWriteComesBack(t, demo, faces)
	orderID := crmBookingComesBack(t, faces, number)
	if err := chromedp.Do(ctx, chromedp.Navigate(faces.crm)); err != nil {
		t.Fatal(err)
	}
	row = fmt.Sprintf(`[...document.querySelectorAll("tr.delivery")].filter(r => r.querySelector(".document").textContent === %q && r.querySelector(".stream").textContent === "orders").map(r => r.textContent).join("")`, orderID)
	got = pollPage(t, ctx, row, func(s string) bool { return s != "" })
	browsertest.Screenshot(t, ctx, shots, "crm-booking")
	if !strings.Contains(got, "verified") || !strings.Contains(got, "contactNumber="+number) {
		t.Fatalf("the CRM receiver lists the booked order %s as %q, want it verified, for contact %s", orderID, got, number)
	}
	t.Logf("screenshots in %s", shots)
	demo.StopClean(t)
}

// bannerCRMWrite is the banner's example of a CRM write: key, body, URL.
var bannerCRMWrite = regexp.MustCompile(`curl -H 'Authorization: Bearer (\S+)' -H 'Content-Type: application/json' \\\n\s+-d '(.+)' \\\n\s+(http://\S+/contacts)\n`)

// crmWriteComesBack makes the CRM write the banner prints, as printed,
// waits until usher has suppressed its echo from S-360's contact push,
// and returns the contact's number in S-360.
func crmWriteComesBack(t *testing.T, demo *proc, f demoFaces) string {
	t.Helper()
	m := bannerCRMWrite.FindStringSubmatch(demo.stdout.String())
	if m == nil {
		t.Fatalf("the banner shows no CRM write:\n%s", demo.stdout.String())
	}
	var receipt struct {
		StatusURL string `json:"status_url"`
	}
	demoAPI(t, http.MethodPost, m[3], m[1], m[2], http.StatusAccepted, &receipt)
	base := strings.TrimSuffix(f.dashboard, "/dashboard/")
	var status struct {
		Institutions []struct {
			Extra struct {
				Echoes map[string]int `json:"echoes"`
			} `json:"extra"`
		} `json:"institutions"`
	}
	waitUntil(t, waitTimeout, "the echo of the CRM's write from S-360's contact push, suppressed", func() bool {
		demoAPI(t, http.MethodGet, base+"/api/v1/outbox", f.key, "", http.StatusOK, &status)
		return len(status.Institutions) == 1 && status.Institutions[0].Extra.Echoes["suppressed"] >= 1
	})
	var job struct {
		Result struct {
			ContactNumber string `json:"contactNumber"`
		} `json:"result"`
	}
	demoAPI(t, http.MethodGet, base+receipt.StatusURL, f.key, "", http.StatusOK, &job)
	if job.Result.ContactNumber == "" {
		t.Fatalf("the CRM's contact write is done, but %s names no contactNumber", receipt.StatusURL)
	}
	return job.Result.ContactNumber
}

// crmBookingComesBack books a sale for contact number as the CRM would,
// waits until S-360 closed it, and then until the order, pushed back by
// S-360's next order push, reaches the CRM receiver, its signature
// checked. It returns the order's id.
func crmBookingComesBack(t *testing.T, f demoFaces, number string) string {
	t.Helper()
	base := strings.TrimSuffix(f.dashboard, "/dashboard/")
	institution := path.Base(strings.TrimSuffix(f.storefront, "/"))
	body := fmt.Sprintf(`{"contactNumber":%q,"orderType":"SALE","items":[{"productCode":"PERM","performanceId":1,"tariffCode":"ADULT","quantity":2}],"reference":"crm-demo-booking-1"}`, number)
	var receipt struct {
		StatusURL string `json:"status_url"`
	}
	demoAPI(t, http.MethodPost, base+"/api/v1/crm/"+institution+"/bookings", f.key, body, http.StatusAccepted, &receipt)
	var job struct {
		State     string `json:"state"`
		LastError string `json:"last_error"`
		Result    struct {
			OrderID    json.Number `json:"orderId"`
			OrderState string      `json:"orderState"`
		} `json:"result"`
	}
	waitUntil(t, waitTimeout, "the CRM's booking made in S-360", func() bool {
		demoAPI(t, http.MethodGet, base+receipt.StatusURL, f.key, "", http.StatusOK, &job)
		if job.State == "failed" {
			t.Fatalf("the CRM's booking failed: %+v", job)
		}
		return job.State == "done"
	})
	if job.Result.OrderID == "" || job.Result.OrderState != "CLOSED" {
		t.Fatalf("the CRM's booking is done as %+v, want a closed sale", job.Result)
	}
	orderID := job.Result.OrderID.String()
	waitUntil(t, waitTimeout, "order "+orderID+" (the CRM's booking) pushed back by S-360 and delivered to the CRM", func() bool {
		var got []struct {
			Stream     string `json:"stream"`
			DocumentID string `json:"document_id"`
			Verified   bool   `json:"verified"`
		}
		demoAPI(t, http.MethodGet, f.crm+"/deliveries", "", "", http.StatusOK, &got)
		for _, d := range got {
			if d.Stream == "orders" && d.DocumentID == orderID && d.Verified {
				return true
			}
		}
		return false
	})
	return orderID
}

// demoAPI calls url with the bearer key (none when empty) and body (a GET
// when empty), wants the status, and decodes the answer into out.
func demoAPI(t *testing.T, method, url, key, body string, want int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, url, res.StatusCode, raw, want)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("%s %s: %v in %s", method, url, err, raw)
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
