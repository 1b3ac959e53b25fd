package storefront_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	simcentaman "github.com/usher-hub/usher/internal/sim/centaman"
	"github.com/usher-hub/usher/internal/site"
	"github.com/usher-hub/usher/internal/site/sitetest"
)

// A family's secondary member, in a real browser, signs in with Centaman
// credentials, buys in one checkout two timed tickets at the member
// price, an extra and a general-entry ticket; holds and releases; sees a
// refused hold explained and kept on screen; sees "we are confirming
// your booking" when the sale's answer is lost (one sale made); and is
// signed out within 10 s of a real outage, with the outage explained. No
// undocumented Centaman route is called. On both engines.
func TestStorefrontSellsEverythingInABrowser(t *testing.T) {
	chromium(t)
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			if engine == "postgres" && os.Getenv("TEST_DATABASE_URL") == "" && os.Getenv("USHER_REQUIRE_POSTGRES") == "" {
				t.Skip("TEST_DATABASE_URL not set")
			}
			sellEverythingInBrowser(t, engine)
		})
	}
}

// browserRun runs actions, failing the test with what was being done.
func browserRun(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[struct{}]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser, %s: %v", what, err)
	}
}

// shoot saves a screenshot in the test's directory, and in
// $USHER_SCREENSHOT_DIR when set.
func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	shot := run(t, ctx, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(t.TempDir(), name+".png"), shot, 0o600); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("USHER_SCREENSHOT_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, name+".png"), shot, 0o600)
	}
}

func eval(js string) chromedp.Action[struct{}] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](js)(ctx, t)
		return err
	})
}

func waitTrue(js string) chromedp.Action[struct{}] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))(ctx, t)
		return err
	})
}

// clickByScript clicks a button the way a click event does, without
// aiming at coordinates a late layout change (extras appearing) could move.
func clickByScript(id string) chromedp.Action[struct{}] {
	return eval(fmt.Sprintf(`document.getElementById(%q).click()`, id))
}

func pickDay(day string) []chromedp.Action[struct{}] {
	return []chromedp.Action[struct{}]{
		chromedp.SetValue(chromedp.ID("day"), day),
		eval(`document.getElementById("day").dispatchEvent(new Event("change"))`),
	}
}

func sellEverythingInBrowser(t *testing.T, engine string) {
	s := newShopWith(t, sitetest.Options{Engine: engine})
	e := s.env
	tomorrow := e.Clock.Now().AddDate(0, 0, 1).Format("2006-01-02")
	var id, adult, bigID, bigAdult int64
	for _, ss := range e.Sim.Sessions(tomorrow) {
		switch {
		case ss.Capacity == 20 && id == 0:
			id, adult = ss.ID, ss.TicketIDs[0]
		case ss.Capacity == 200 && bigID == 0:
			bigID, bigAdult = ss.ID, ss.TicketIDs[0]
		}
	}
	var kid simcentaman.Member
	for _, m := range e.Sim.Members() {
		if m.Primary != 0 && m.Current {
			kid = m
			break
		}
	}
	ctx := browser(t)
	slot := fmt.Sprintf(`li.slot[data-event="%d"]`, id)
	steps := []chromedp.Action[struct{}]{
		chromedp.Navigate(s.url),
		chromedp.WaitVisible(chromedp.CSS(`#general li`)),
		chromedp.SendKeys(chromedp.ID("member-number"), fmt.Sprint(kid.MemberNumber)),
		chromedp.SendKeys(chromedp.ID("surname"), kid.LastName),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("member-status")),
	}
	steps = append(steps, pickDay(tomorrow)...)
	steps = append(steps,
		chromedp.WaitVisible(chromedp.CSS(slot)),
		chromedp.SetValue(chromedp.ID("ga-701"), "1"),
		chromedp.SetValue(chromedp.ID(fmt.Sprintf("qty-%d-%d", id, adult)), "2"),
		chromedp.Click(chromedp.CSS(slot+` button.hold`)),
		chromedp.WaitVisible(chromedp.ID("hold")),
		chromedp.WaitVisible(chromedp.ID("extra-602")),
		chromedp.SetValue(chromedp.ID("extra-602"), "1"),
	)
	browserRun(t, ctx, "sign in and fill the basket", steps...)
	memberStatus := run(t, ctx, chromedp.Text(chromedp.ID("member-status")))
	heldPrices := run(t, ctx, chromedp.Text(chromedp.ID("hold-prices")))
	shoot(t, ctx, "storefront-"+engine+"-1-basket")
	// The first day's list and the picked day's overlap in flight; only
	// the picked day's sessions may show, each once.
	if dup := run(t, ctx, chromedp.Evaluate[int](`(() => { const h = [...document.querySelectorAll("#slots li.slot h3")].map(e => e.textContent); return h.length - new Set(h).size })()`)); dup != 0 {
		t.Fatalf("%d sessions listed twice", dup)
	}
	if !strings.Contains(memberStatus, "member prices apply") || !strings.Contains(heldPrices, "member price") {
		t.Fatalf("member status %q, held prices %q: want member prices", memberStatus, heldPrices)
	}
	browserRun(t, ctx, "check out", clickByScript("checkout"), chromedp.WaitVisible(chromedp.ID("confirmation")))
	confirmation := run(t, ctx, chromedp.Text(chromedp.ID("confirmation-summary")))
	barcodes := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#tickets .barcode-text")].map(e => e.textContent)`))
	shoot(t, ctx, "storefront-"+engine+"-2-booked")
	sales := e.Sim.Sales()
	if len(sales) != 1 || sales[0].ContactID != kid.MemberCode || sales[0].Tickets != 2 || sales[0].Extras != 1 || e.Sim.GeneralSold() != 1 {
		t.Fatalf("upstream sales %+v, general %d; want one booking under member %d with 2 tickets and 1 extra, and 1 general ticket",
			sales, e.Sim.GeneralSold(), kid.MemberCode)
	}
	memberTotal := 2*math.Round(42.56*0.8*100)/100 + 6.00*0.8
	if math.Abs(sales[0].TotalPaid-memberTotal) > 0.005 {
		t.Fatalf("timed booking paid %.2f, want the member prices' %.2f", sales[0].TotalPaid, memberTotal)
	}
	if len(barcodes) != 3 || !strings.Contains(confirmation, "Extras: 1 × Audio guide") ||
		!strings.Contains(confirmation, fmt.Sprintf("member %d", kid.MemberCode)) || !strings.Contains(confirmation, "sent to") {
		t.Fatalf("confirmation %q, barcodes %v", confirmation, barcodes)
	}

	// Hold, then release.
	big := fmt.Sprintf(`li.slot[data-event="%d"]`, bigID)
	browserRun(t, ctx, "hold and release",
		chromedp.WaitVisible(chromedp.CSS(big)),
		chromedp.SetValue(chromedp.ID(fmt.Sprintf("qty-%d-%d", bigID, bigAdult)), "3"),
		chromedp.Click(chromedp.CSS(big+` button.hold`)),
		chromedp.WaitVisible(chromedp.ID("release")),
		waitTrue(`document.getElementById("hold-summary").textContent.includes("3 ticket(s)")`),
		chromedp.WaitVisible(chromedp.ID("extra-601")),
	)
	if held := e.Sim.Held(bigID); held != 3 {
		t.Fatalf("held %d in Centaman after the hold, want 3", held)
	}
	browserRun(t, ctx, "release", clickByScript("release"), chromedp.WaitNotVisible(chromedp.ID("hold")))
	if held := e.Sim.Held(bigID); held != 0 {
		t.Fatalf("held %d in Centaman after the release, want 0", held)
	}

	// A refused hold is explained, and stays explained after the list
	// is refreshed.
	if err := e.Sim.SetCapacity(id, e.Sim.Sold(id)+e.Sim.Held(id)+1); err != nil {
		t.Fatal(err)
	}
	browserRun(t, ctx, "hold more than is left",
		chromedp.WaitVisible(chromedp.CSS(slot)),
		eval(fmt.Sprintf(`document.querySelector('%s').dataset.old = "1"`, slot)),
		chromedp.SetValue(chromedp.ID(fmt.Sprintf("qty-%d-%d", id, adult)), "3"),
		chromedp.Click(chromedp.CSS(slot+` button.hold`)),
		waitTrue(fmt.Sprintf(`!document.querySelector('%s[data-old]') && !!document.querySelector('%s') && !document.getElementById("error").hidden`, slot, slot)),
	)
	refused := run(t, ctx, chromedp.Text(chromedp.ID("error")))
	shoot(t, ctx, "storefront-"+engine+"-3-refused")
	if !strings.Contains(refused, "only 1 ticket left") {
		t.Fatalf("error after a refused hold: %q, want the refusal in words, still shown", refused)
	}

	// The sale's answer is lost: one sale, and the visitor is told it is
	// being confirmed.
	if err := e.Sim.SetCapacity(id, 20); err != nil {
		t.Fatal(err)
	}
	bookings := e.Sim.Bookings()
	e.Sim.DropAnswers("TimedTicketTransaction POST", 1)
	steps = pickDay(tomorrow)
	steps = append(steps,
		chromedp.WaitVisible(chromedp.CSS(slot)),
		chromedp.SetValue(chromedp.ID(fmt.Sprintf("qty-%d-%d", id, adult)), "1"),
		chromedp.Click(chromedp.CSS(slot+` button.hold`)),
		chromedp.WaitVisible(chromedp.ID("hold")),
		chromedp.WaitVisible(chromedp.ID("extra-602")),
		clickByScript("checkout"),
		chromedp.WaitVisible(chromedp.ID("confirmation")),
	)
	browserRun(t, ctx, "checkout whose answer is lost", steps...)
	title := run(t, ctx, chromedp.Text(chromedp.ID("confirmation-title")))
	lost := run(t, ctx, chromedp.Text(chromedp.ID("confirmation-summary")))
	shoot(t, ctx, "storefront-"+engine+"-4-confirming")
	if title != "We are confirming your booking" || !strings.Contains(lost, "storefront-") || e.Sim.Bookings() != bookings+1 {
		t.Fatalf("after a lost answer: %q %q, %d bookings (want %d)", title, lost, e.Sim.Bookings(), bookings+1)
	}

	// A real outage: the member is signed out within 10 s, and holding
	// says why it cannot be done.
	probeCtx, stopProbes := context.WithCancel(t.Context())
	defer stopProbes()
	go e.Service.RunProbes(probeCtx, site.ProbeInterval)
	e.Sim.SetOutage("drop")
	began := time.Now()
	for {
		exists, err := e.Store.MemberSessionsExist(t.Context(), sitetest.Institution, e.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !exists {
			break
		}
		if time.Since(began) > 10*time.Second {
			t.Fatal("the member is still signed in 10 s into the outage")
		}
		time.Sleep(100 * time.Millisecond)
	}
	steps = []chromedp.Action[struct{}]{chromedp.Navigate(s.url), chromedp.WaitVisible(chromedp.ID("sign-in-form")), chromedp.WaitVisible(chromedp.ID("paused"))}
	steps = append(steps, pickDay(tomorrow)...)
	steps = append(steps,
		chromedp.WaitVisible(chromedp.CSS(slot)),
		chromedp.SetValue(chromedp.ID(fmt.Sprintf("qty-%d-%d", id, adult)), "1"),
		chromedp.Click(chromedp.CSS(slot+` button.hold`)),
		waitTrue(`!document.getElementById("error").hidden && document.getElementById("error").textContent.includes("Centaman")`),
	)
	browserRun(t, ctx, "outage", steps...)
	outage := run(t, ctx, chromedp.Text(chromedp.ID("error")))
	shoot(t, ctx, "storefront-"+engine+"-5-outage")
	if !strings.Contains(outage, "cannot be reached") {
		t.Fatalf("error during the outage: %q", outage)
	}
	if calls := e.Sim.UndocumentedCalls(); len(calls) != 0 {
		t.Fatalf("undocumented Centaman routes called: %v", calls)
	}
}

// Without e-mail configured, the page promises none: general entry bought
// alone shows its barcodes and says to keep them.
func TestStorefrontPromisesEmailOnlyWhenConfigured(t *testing.T) {
	chromium(t)
	s := newShopWith(t, sitetest.Options{Engine: "sqlite", NoMail: true})
	ctx := browser(t)
	browserRun(t, ctx, "general entry only",
		chromedp.Navigate(s.url),
		chromedp.WaitVisible(chromedp.CSS(`#general li`)),
		chromedp.SetValue(chromedp.ID("ga-702"), "2"),
		chromedp.Click(chromedp.ID("buy-general")),
		chromedp.WaitVisible(chromedp.ID("hold")),
		chromedp.SendKeys(chromedp.ID("last-name"), "Nguyen"),
		chromedp.SendKeys(chromedp.ID("email"), "ann@example.org"),
		chromedp.Click(chromedp.ID("checkout")),
		chromedp.WaitVisible(chromedp.ID("confirmation")),
	)
	page := run(t, ctx, chromedp.Text(chromedp.CSS("main")))
	summary := run(t, ctx, chromedp.Text(chromedp.ID("confirmation-summary")))
	barcodes := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#tickets .barcode-text")].map(e => e.textContent)`))
	shoot(t, ctx, "storefront-no-mail")
	if strings.Contains(page, "arrive by e-mail") || strings.Contains(summary, "sent to") || !strings.Contains(summary, "Keep these barcodes") || len(barcodes) != 2 {
		t.Fatalf("without e-mail: summary %q, barcodes %v, page mentions e-mail delivery: %v", summary, barcodes, strings.Contains(page, "arrive by e-mail"))
	}
	if s.env.Sim.GeneralSold() != 2 || len(s.env.SMTP.Messages()) != 0 {
		t.Fatalf("general sold %d, e-mails %d", s.env.Sim.GeneralSold(), len(s.env.SMTP.Messages()))
	}
}
