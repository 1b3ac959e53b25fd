package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/browsertest"
	"github.com/usher-hub/usher/internal/crm"
	"github.com/usher-hub/usher/internal/testdb"
)

// TestLoadPageInABrowser signs in to the dashboard in headless Chromium,
// follows the menu to the Load page and reads the plan of 10,000
// contacts (200 calls at 50 a call) and the backlog of a paused import:
// its 500 rows wait for S-360, drawn in the backlog chart.
func TestLoadPageInABrowser(t *testing.T) {
	h := newHarness(t, testdb.Engines[0], harnessOptions{simLimit: 600, simWindow: time.Minute})
	var csv bytes.Buffer
	csv.WriteString("email,first_name,last_name\n")
	for i := range 500 {
		fmt.Fprintf(&csv, "waiting%d@example.org,Wait,%d\n", i, i)
	}
	rows, err := crm.ReadImport(&csv)
	if err != nil {
		t.Fatal(err)
	}
	var jobs []usher.NewJob
	for i := range rows {
		if err := crm.CheckImportRow(&rows[i]); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, crm.ImportJob("myvenue", "held", rows[i], 15, usher.HeldUntil))
	}
	if _, err := h.app.store.EnqueueJobs(context.Background(), jobs); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.Start(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(h.usherURL+"/dashboard/login"),
		chromedp.WaitVisible(chromedp.CSS(`#key`)),
		chromedp.SendKeys(chromedp.CSS(`#key`), crmAPIKey),
		chromedp.Click(chromedp.CSS(`.login button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav a[href^="/dashboard/load"]`)),
		chromedp.Click(chromedp.CSS(`nav a[href^="/dashboard/load"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#plan`)),
	); err != nil {
		t.Fatalf("sign in and open the Load page: %v", err)
	}
	calls := browsertest.Must(t, ctx, "plan calls", chromedp.Text(chromedp.CSS(`#plan-calls`)))
	if strings.TrimSpace(calls) != "200" {
		t.Errorf("the plan of 10,000 contacts says %q calls, want 200 (50 a call)", calls)
	}
	backlog := browsertest.Must(t, ctx, "backlog", chromedp.Text(chromedp.CSS(`#backlog table tbody tr:first-child`)))
	if !strings.Contains(backlog, "S-360 writes") || !strings.Contains(backlog, "500") {
		t.Errorf("the backlog row reads %q, want the 500 paused import rows waiting for S-360", backlog)
	}
	chart := browsertest.Must(t, ctx, "chart", chromedp.OuterHTML(chromedp.CSS(`#backlog svg.chart`)))
	if !strings.Contains(chart, "S-360 writes") || !strings.Contains(chart, "CRM deliveries") {
		t.Errorf("the backlog chart has no series for both destinations:\n%s", chart)
	}
	browsertest.Screenshot(t, ctx, t.TempDir(), "load")
}
