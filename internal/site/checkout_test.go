package site_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/site"
	"github.com/usher-hub/usher/internal/site/sitetest"
)

const stalledSale = "TimedTicketTransaction POST"

// Centaman records the sale but its answer never reaches usher (the
// connection drops after the write), against a Centaman that documents
// no lookup of a sale by payment reference. Exactly one sale is made: the
// visitor is told the booking is being confirmed, a retry sells nothing,
// the hold is never released (its spots may be the sale's, and Centaman's
// holds are anonymous: a release could free another visitor's spots), the
// venue sees the checkout and settles it, and no undocumented route is
// called. A member signed in meanwhile stays signed in: one lost answer
// is not an outage (Diagnostics still answers).
// ASSUMPTION centaman-diagnostics-health.
func TestCheckoutWhoseAnswerIsLostSellsOnceAndReleasesNothing(t *testing.T) {
	forEachEngine(t, sitetest.Options{}, func(t *testing.T, e *sitetest.Env) {
		e.Sync()
		_, email := member(t, e, true)
		session := signIn(t, e, "web-a", email)
		id, adult, _ := e.SmallSession()
		_, h, _ := hold(t, e, "v1", id, usher.HoldLine{TicketID: adult, Quantity: 2})
		e.Sim.DropAnswers(stalledSale, 1)
		var res site.CheckoutResult
		status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-1", h.ID, "v1"), &res)
		if status != http.StatusAccepted || res.State != site.StateConfirming || !strings.Contains(res.Message, "pay-co-1") {
			t.Fatalf("checkout whose answer was lost: %d %+v, want 202 confirming with the payment reference", status, res)
		}
		if e.Sim.Bookings() != 1 {
			t.Fatalf("%d bookings upstream, want the 1 recorded before the answer was lost", e.Sim.Bookings())
		}
		var retry site.CheckoutResult
		if status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-1", h.ID, "v1"), &retry); status != http.StatusAccepted || !retry.Replayed {
			t.Fatalf("retry: %d %+v, want 202 confirming, replayed", status, retry)
		}
		var again sitetest.ErrorBody
		if status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-1b", h.ID, "v1"), &again); status != http.StatusConflict {
			t.Fatalf("another checkout of the uncertain hold: %d %+v, want 409", status, again)
		}
		var hv site.HoldView
		e.JSON("GET", sitetest.Path("holds/"+h.ID+"?visitor=v1"), nil, &hv)
		if hv.Status != usher.HoldUncertain {
			t.Fatalf("hold after the lost answer: %+v, want uncertain", hv)
		}
		e.Clock.Advance(16 * time.Minute) // past usher's hold time, within Centaman's
		// Another visitor holds spots of the same adult line: a release of
		// v1's two would take them from v2's anonymous hold.
		_, other, _ := hold(t, e, "v2", id, usher.HoldLine{TicketID: adult, Quantity: 3})
		if _, err := e.Service.ExpireHolds(t.Context()); err != nil {
			t.Fatal(err)
		}
		if held := e.Sim.Held(id); held != 3 {
			t.Fatalf("held spots after the sweep = %d, want visitor v2's 3 only: nothing of the uncertain hold may be released, and v2's (%s) untouched", held, other.ID)
		}
		if e.Sim.Bookings() != 1 {
			t.Fatalf("%d bookings, want exactly 1", e.Sim.Bookings())
		}
		if status, m, _ := me(t, e, session.Token); status != http.StatusOK || m.Status != "current" {
			t.Fatalf("member after one lost answer: %d %+v, want still signed in", status, m)
		}
		var list struct {
			Checkouts []site.UnknownCheckout `json:"checkouts"`
		}
		if status := e.JSON("GET", sitetest.Path("checkouts?state=unknown"), nil, &list); status != http.StatusOK ||
			len(list.Checkouts) != 1 || list.Checkouts[0].PaymentReference != "pay-co-1" || list.Checkouts[0].Problem == "" {
			t.Fatalf("unknown checkouts for the venue: %d %+v", status, list)
		}
		booking := e.Sim.Sales()[0].BookingID
		var settled site.CheckoutResult
		if status := e.JSON("POST", sitetest.Path("checkouts/co-1/settlement"), site.Settlement{Outcome: site.OutcomeSold,
			BookingID: fmt.Sprint(booking)}, &settled); status != http.StatusOK || settled.State != site.StateBooked {
			t.Fatalf("settle: %d %+v", status, settled)
		}
		var replay site.CheckoutResult
		if status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-1", h.ID, "v1"), &replay); status != http.StatusOK ||
			replay.State != site.StateBooked || replay.BookingID != fmt.Sprint(booking) {
			t.Fatalf("replay once settled: %d %+v", status, replay)
		}
		e.JSON("GET", sitetest.Path("holds/"+h.ID+"?visitor=v1"), nil, &hv)
		if hv.Status != usher.HoldSold || e.Sim.Bookings() != 1 {
			t.Fatalf("hold %+v, %d bookings; want sold and 1", hv, e.Sim.Bookings())
		}
		if calls := e.Sim.UndocumentedCalls(); len(calls) != 0 {
			t.Fatalf("usher called routes Centaman does not document: %v", calls)
		}
	})
}

// The venue finds no sale for a lost answer: the checkout fails with
// that finding, and the hold is let go without a release.
func TestUnknownCheckoutSettledAsNotSold(t *testing.T) {
	e := sitetest.New(t, sitetest.Options{Engine: "sqlite"})
	e.Sync()
	id, adult, _ := e.SmallSession()
	_, h, _ := hold(t, e, "v1", id, usher.HoldLine{TicketID: adult, Quantity: 1})
	e.Sim.SetOutage("error")
	var res site.CheckoutResult
	// The outage makes the first call (the booking contact) fail, before
	// any sale is sent: the checkout may be retried.
	if status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-9", h.ID, "v1"), &res); status != http.StatusServiceUnavailable {
		t.Fatalf("checkout during an outage: %d %+v, want 503 before any sale was sent", status, res)
	}
	e.Sim.SetOutage("")
	releases := e.Sim.Calls("TimedTicketType POST")
	e.Sim.DropAnswers(stalledSale, 1)
	if status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-9", h.ID, "v1"), &res); status != http.StatusAccepted {
		t.Fatalf("retry once Centaman is back, answer lost: %d %+v, want 202", status, res)
	}
	var fail sitetest.ErrorBody
	var settled site.CheckoutResult
	if status := e.JSON("POST", sitetest.Path("checkouts/co-9/settlement"), site.Settlement{Outcome: site.OutcomeNotSold, Note: "not in Centaman"}, &settled); status != http.StatusOK || settled.State != site.OutcomeNotSold {
		t.Fatalf("settle not sold: %d %+v", status, settled)
	}
	if status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-9", h.ID, "v1"), &fail); status != http.StatusConflict || !strings.Contains(fail.Error.Message, "no sale") {
		t.Fatalf("replay once settled as not sold: %d %+v", status, fail)
	}
	if e.Sim.Calls("TimedTicketType POST") != releases {
		t.Fatal("settling released held spots: it must not")
	}
	if status := e.JSON("POST", sitetest.Path("checkouts/co-9/settlement"), site.Settlement{Outcome: site.OutcomeSold}, &fail); status != http.StatusConflict {
		t.Fatalf("settling twice: %d, want 409", status)
	}
}

// The website gives up waiting while usher is still selling; usher
// finishes the sale anyway, a retry during the sale is told the booking
// is being confirmed, and a retry after it gets the same booking.
func TestCheckoutRetriedAfterWebsiteTimeoutSellsOnce(t *testing.T) {
	forEachEngine(t, sitetest.Options{}, func(t *testing.T, e *sitetest.Env) {
		e.Sync()
		id, adult, _ := e.SmallSession()
		_, h, _ := hold(t, e, "v1", id, usher.HoldLine{TicketID: adult, Quantity: 1})
		release := e.Sim.Stall(stalledSale)
		impatient := &http.Client{Timeout: 200 * time.Millisecond}
		if status, _ := e.DoWith(impatient, "POST", sitetest.Path("checkouts"), checkoutReq("co-2", h.ID, "v1")); status != 0 {
			t.Fatalf("the website's request should have timed out, got status %d", status)
		}
		var busy site.CheckoutResult
		if status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-2", h.ID, "v1"), &busy); status != http.StatusAccepted ||
			busy.State != site.StateConfirming {
			t.Fatalf("retry during the sale: %d %+v, want 202 confirming", status, busy)
		}
		release()
		<-e.SMTP.Arrived() // usher finished the sale and sent the e-tickets
		var res site.CheckoutResult
		if status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-2", h.ID, "v1"), &res); status != http.StatusOK || !res.Replayed {
			t.Fatalf("retry after the sale: %d %+v, want the replayed result", status, res)
		}
		// The e-mail arrived; whether usher has recorded it as sent yet
		// when the replay is read is a race the test does not judge.
		if e.Sim.Bookings() != 1 || len(res.Tickets) != 1 || len(e.SMTP.Messages()) != 1 {
			t.Fatalf("%d bookings, %d e-mails, result %+v; want one sale and one e-mail", e.Sim.Bookings(), len(e.SMTP.Messages()), res)
		}
	})
}

func TestCheckoutIdReusedForAnotherRequestIsRefused(t *testing.T) {
	e := sitetest.New(t, sitetest.Options{Engine: "sqlite"})
	e.Sync()
	id, adult, _ := e.SmallSession()
	_, h, _ := hold(t, e, "v1", id, usher.HoldLine{TicketID: adult, Quantity: 1})
	if status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-3", h.ID, "v1"), nil); status != http.StatusCreated {
		t.Fatalf("checkout: %d", status)
	}
	other := checkoutReq("co-3", h.ID, "v1")
	other.Contact.Email = "bob@example.org"
	var fail sitetest.ErrorBody
	if status := e.JSON("POST", sitetest.Path("checkouts"), other, &fail); status != http.StatusConflict || fail.Error.Code != usher.ECONFLICT {
		t.Fatalf("same id, other body: %d %+v, want 409", status, fail)
	}
	var second sitetest.ErrorBody
	if status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-4", h.ID, "v1"), &second); status != http.StatusConflict {
		t.Fatalf("second checkout of a sold hold: %d %+v, want 409", status, second)
	}
	if e.Sim.Bookings() != 1 {
		t.Fatalf("%d bookings, want 1", e.Sim.Bookings())
	}
}

// E-mail that fails at the relay is sent by the sweep later; the sale
// stands meanwhile.
func TestETicketRetriedWhenTheRelayFails(t *testing.T) {
	e := sitetest.New(t, sitetest.Options{Engine: "sqlite"})
	e.Sync()
	id, adult, _ := e.SmallSession()
	_, h, _ := hold(t, e, "v1", id, usher.HoldLine{TicketID: adult, Quantity: 1})
	e.SMTP.FailNext(1)
	var res site.CheckoutResult
	if status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-5", h.ID, "v1"), &res); status != http.StatusCreated || res.Email.Status != "pending" {
		t.Fatalf("checkout with a failing relay: %d %+v, want sold with the e-mail pending", status, res)
	}
	sent, err := e.Service.RetryEmails(t.Context())
	if err != nil || sent != 1 || len(e.SMTP.Messages()) != 1 {
		t.Fatalf("retry sent %d (%v), relay has %d", sent, err, len(e.SMTP.Messages()))
	}
	if sent, _ := e.Service.RetryEmails(t.Context()); sent != 0 {
		t.Fatalf("a second retry sent %d more", sent)
	}
}

// Two checkouts (different ids) of one hold at once: one sale, the other
// is told the hold was sold.
func TestTwoCheckoutsOfOneHoldSellOnce(t *testing.T) {
	e := sitetest.New(t, sitetest.Options{Engine: "sqlite"})
	e.Sync()
	id, adult, _ := e.SmallSession()
	_, h, _ := hold(t, e, "v1", id, usher.HoldLine{TicketID: adult, Quantity: 2})
	statuses := make(chan int, 2)
	for _, co := range []string{"co-a", "co-b"} {
		go func() {
			status, _ := e.Do("POST", sitetest.Path("checkouts"), checkoutReq(co, h.ID, "v1"))
			statuses <- status
		}()
	}
	a, b := <-statuses, <-statuses
	if a+b != http.StatusCreated+http.StatusConflict {
		t.Fatalf("statuses %d and %d, want one 201 and one 409", a, b)
	}
	if e.Sim.Bookings() != 1 {
		t.Fatalf("%d bookings, want 1", e.Sim.Bookings())
	}
}
