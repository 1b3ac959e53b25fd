package site_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/site"
	"github.com/usher-hub/usher/internal/site/sitetest"
)

const stalledSale = "TimedTicketTransaction POST"

// Centaman records the sale but its answer never reaches usher (usher's
// own call times out). The retry asks Centaman by payment reference,
// finds the sale and answers it: one sale, not two, one e-mail.
func TestCheckoutRetriedAfterUpstreamTimeoutSellsOnce(t *testing.T) {
	forEachEngine(t, sitetest.Options{ClientTimeout: 300 * time.Millisecond}, func(t *testing.T, e *sitetest.Env) {
		e.Sync()
		id, adult, _ := e.SmallSession()
		_, h, _ := hold(t, e, "v1", id, usher.HoldLine{TicketID: adult, Quantity: 2})
		release := e.Sim.Stall(stalledSale)
		var fail sitetest.ErrorBody
		status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-1", h.ID, "v1"), &fail)
		if status != http.StatusServiceUnavailable || fail.Error.Detail["checkout_state"] != "unknown" {
			t.Fatalf("checkout whose answer was lost: %d %+v, want 503 with checkout_state unknown", status, fail)
		}
		release()
		if e.Sim.Bookings() != 1 {
			t.Fatalf("%d bookings upstream, want the 1 recorded before the answer was lost", e.Sim.Bookings())
		}
		var res site.CheckoutResult
		if status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-1", h.ID, "v1"), &res); status != http.StatusCreated {
			t.Fatalf("retry: %d %+v", status, res)
		}
		if e.Sim.Bookings() != 1 || len(res.Tickets) != 2 || res.BookingID == "" {
			t.Fatalf("after the retry: %d bookings, result %+v; want the one sale answered", e.Sim.Bookings(), res)
		}
		var replay site.CheckoutResult
		if status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-1", h.ID, "v1"), &replay); status != http.StatusOK {
			t.Fatalf("third attempt: %d", status)
		}
		if !replay.Replayed || replay.BookingID != res.BookingID || e.Sim.Bookings() != 1 || len(e.SMTP.Messages()) != 1 {
			t.Fatalf("replay %+v, %d bookings, %d e-mails; want the same booking, 1 and 1", replay, e.Sim.Bookings(), len(e.SMTP.Messages()))
		}
	})
}

// The website gives up waiting while usher is still selling; usher
// finishes the sale anyway, a retry during the sale is told to wait, and
// a retry after it gets the same booking.
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
		var busy sitetest.ErrorBody
		if status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-2", h.ID, "v1"), &busy); status != http.StatusServiceUnavailable ||
			busy.Error.Detail["checkout_state"] != "pending" {
			t.Fatalf("retry during the sale: %d %+v, want 503 pending", status, busy)
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
