package site_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/mail/mailtest"
	"github.com/usher-hub/usher/internal/site"
	"github.com/usher-hub/usher/internal/site/sitetest"
	"github.com/usher-hub/usher/internal/testdb"
)

// forEachEngine runs fn against a fresh environment on each engine.
func forEachEngine(t *testing.T, opts sitetest.Options, fn func(t *testing.T, e *sitetest.Env)) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			o := opts
			o.Engine = engine
			fn(t, sitetest.New(t, o))
		})
	}
}

func events(t *testing.T, e *sitetest.Env, day string) site.Events {
	t.Helper()
	var out site.Events
	if status := e.JSON("GET", sitetest.Path("events?date="+day), nil, &out); status != http.StatusOK {
		t.Fatalf("events: status %d", status)
	}
	return out
}

func findEvent(t *testing.T, evs site.Events, id int64) site.Event {
	t.Helper()
	for _, ev := range evs.Events {
		if ev.ID == id {
			return ev
		}
	}
	t.Fatalf("session %d not in %+v", id, evs.Events)
	return site.Event{}
}

func TestEventsComeFromTheCopyAndSayHowOld(t *testing.T) {
	forEachEngine(t, sitetest.Options{}, func(t *testing.T, e *sitetest.Env) {
		day := e.Day()
		if got := events(t, e, day); len(got.Events) != 0 || got.Freshness.SyncedAt != nil {
			t.Fatalf("before any sync: %+v, want no events and no sync time", got)
		}
		res := e.Sync()
		if res.Sessions == 0 || res.PriceLists != res.Sessions || res.MembershipTypes != 4 {
			t.Fatalf("sync = %+v", res)
		}
		calls := e.Sim.Calls("TimedTicketType GET")
		e.Clock.Advance(10 * time.Minute)
		got := events(t, e, day)
		if e.Sim.Calls("TimedTicketType GET") != calls || e.Sim.Calls("TimedTicket GET") != res.PriceLists {
			t.Fatal("serving events called Centaman: they must come from the copy")
		}
		want := e.Sim.Sessions(day)
		if len(got.Events) != len(want) {
			t.Fatalf("%d events, want the simulator's %d", len(got.Events), len(want))
		}
		for _, s := range want {
			ev := findEvent(t, got, s.ID)
			if ev.Vacancy != e.Sim.Vacancy(s.ID) || ev.Start != s.Start || len(ev.Prices) != len(s.TicketIDs) || ev.Prices[0].Price <= 0 {
				t.Fatalf("event %+v does not match session %+v (vacancy %d)", ev, s, e.Sim.Vacancy(s.ID))
			}
		}
		if got.Freshness.Source != "copy" || got.Freshness.AgeSeconds == nil || *got.Freshness.AgeSeconds != 600 ||
			got.Freshness.Upstream.State != "reachable" {
			t.Fatalf("freshness = %+v, want the copy, 600 s old, Centaman reachable", got.Freshness)
		}
		var live site.Events
		e.JSON("GET", sitetest.Path("events?date="+day+"&source=centaman"), nil, &live)
		if live.Freshness.Source != "centaman" || len(live.Events) != len(got.Events) || live.Events[0].Vacancy != got.Events[0].Vacancy {
			t.Fatalf("events read from Centaman differ from the copy: %+v", live)
		}
		var bad sitetest.ErrorBody
		if status := e.JSON("GET", sitetest.Path("events?date=May+1st"), nil, &bad); status != http.StatusBadRequest || bad.Error.Code != usher.EINVALID {
			t.Fatalf("bad date: %d %+v", status, bad)
		}
	})
}

func TestRefusedDocumentsStayOutOfTheCopy(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			e := sitetest.New(t, sitetest.Options{Engine: engine})
			id, adult, _ := e.SmallSession()
			refusing := sitetest.New(t, sitetest.Options{Engine: engine, Validator: sitetest.Refusing{Validator: sitetest.Schemas(t), Reject: map[int64]bool{id: true}}})
			refusing.Sync()
			for _, ev := range events(t, refusing, refusing.Day()).Events {
				if ev.ID == id {
					t.Fatalf("session %d was refused by the validator but is served", id)
				}
			}
			var body sitetest.ErrorBody
			status := refusing.JSON("POST", sitetest.Path("holds"), site.HoldRequest{Visitor: "v1", EventID: id,
				Tickets: []usher.HoldLine{{TicketID: adult, Quantity: 1}}}, &body)
			if status != http.StatusNotFound {
				t.Fatalf("hold on a refused session: %d %+v, want 404", status, body)
			}
		})
	}
}

func hold(t *testing.T, e *sitetest.Env, visitor string, id int64, lines ...usher.HoldLine) (int, site.HoldView, sitetest.ErrorBody) {
	t.Helper()
	var view site.HoldView
	var fail sitetest.ErrorBody
	status, data := e.Do("POST", sitetest.Path("holds"), site.HoldRequest{Visitor: visitor, EventID: id, Tickets: lines})
	if status < 300 {
		mustUnmarshal(t, data, &view)
	} else {
		mustUnmarshal(t, data, &fail)
	}
	return status, view, fail
}

func checkoutReq(id, holdID, visitor string) site.CheckoutRequest {
	return site.CheckoutRequest{CheckoutID: id, HoldID: holdID, Visitor: visitor, PaymentReference: "pay-" + id,
		Contact: site.Contact{FirstName: "Ann", LastName: "Nguyen", Email: "ann@example.org"}}
}

func TestHoldExtendCheckoutAndETicket(t *testing.T) {
	forEachEngine(t, sitetest.Options{}, func(t *testing.T, e *sitetest.Env) {
		e.Sync()
		id, adult, child := e.SmallSession()
		before := e.Sim.Vacancy(id)
		status, h, fail := hold(t, e, "visitor-1", id, usher.HoldLine{TicketID: adult, Quantity: 2})
		if status != http.StatusCreated || h.Quantity != 2 || h.ExpiresInSeconds != 900 {
			t.Fatalf("hold: %d %+v %+v", status, h, fail)
		}
		if e.Sim.Held(id) != 2 || findEvent(t, events(t, e, e.Day()), id).Vacancy != before-2 {
			t.Fatalf("held upstream %d, vacancy in the copy %d; want 2 and %d (re-synced after the hold)",
				e.Sim.Held(id), findEvent(t, events(t, e, e.Day()), id).Vacancy, before-2)
		}
		e.Clock.Advance(5 * time.Minute)
		status, again, _ := hold(t, e, "visitor-1", id, usher.HoldLine{TicketID: adult, Quantity: 2}, usher.HoldLine{TicketID: child, Quantity: 1})
		if status != http.StatusOK || again.ID != h.ID || again.Quantity != 3 || again.ExpiresInSeconds != 900 || e.Sim.Held(id) != 3 {
			t.Fatalf("extend: %d %+v, held %d; want the same hold with 3 tickets and a renewed 15 minutes", status, again, e.Sim.Held(id))
		}
		var res site.CheckoutResult
		if status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-1", h.ID, "visitor-1"), &res); status != http.StatusCreated {
			t.Fatalf("checkout: %d %+v", status, res)
		}
		if len(res.Tickets) != 3 || res.BookingID == "" || res.TotalPaid != 2*42.56+21.00 || res.Email.Status != "sent" {
			t.Fatalf("checkout result %+v", res)
		}
		if e.Sim.Bookings() != 1 || e.Sim.Held(id) != 0 || e.Sim.Vacancy(id) != before-3 {
			t.Fatalf("upstream: %d bookings, %d held, vacancy %d; want 1, 0, %d", e.Sim.Bookings(), e.Sim.Held(id), e.Sim.Vacancy(id), before-3)
		}
		msg, err := e.SMTP.Only()
		if err != nil {
			t.Fatal(err)
		}
		ticket, err := mailtest.Parse(msg.Data)
		if err != nil {
			t.Fatal(err)
		}
		for i, tk := range res.Tickets {
			if ticket.Barcodes[i] != tk.Barcode {
				t.Fatalf("e-mail barcode %d scans as %q, want %q", i, ticket.Barcodes[i], tk.Barcode)
			}
		}
		booked, err := e.Store.FindDocuments(context.Background(), usher.DocumentFilter{Institution: sitetest.Institution,
			Stream: usher.StreamCentamanBooking, ExternalID: res.BookingID})
		if err != nil || len(booked) != 1 {
			t.Fatalf("booking %s in the copy: %d documents, %v", res.BookingID, len(booked), err)
		}
		var gone site.HoldView
		e.JSON("GET", sitetest.Path("holds/"+h.ID+"?visitor=visitor-1"), nil, &gone)
		if gone.Status != usher.HoldSold {
			t.Fatalf("hold after checkout = %+v, want sold", gone)
		}
	})
}

// Two visitors race for the last ticket: exactly one hold is granted, the
// sale goes through once, and the session is never oversold. The losing
// hold is Centaman's false (ASSUMPTION centaman-hold-refusal-false).
func TestTwoVisitorsRaceForTheLastTicket(t *testing.T) {
	forEachEngine(t, sitetest.Options{}, func(t *testing.T, e *sitetest.Env) {
		id, adult, _ := e.SmallSession()
		if err := e.Sim.SetCapacity(id, e.Sim.Sold(id)+1); err != nil {
			t.Fatal(err)
		}
		e.Sync()
		type outcome struct {
			status int
			hold   site.HoldView
		}
		results := make([]outcome, 2)
		var wg sync.WaitGroup
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, h, _ := hold(t, e, fmt.Sprintf("racer-%d", i), id, usher.HoldLine{TicketID: adult, Quantity: 1})
				results[i] = outcome{status, h}
			}()
		}
		wg.Wait()
		winner, loser := results[0], results[1]
		if winner.status != http.StatusCreated {
			winner, loser = loser, winner
		}
		if winner.status != http.StatusCreated || loser.status != http.StatusConflict {
			t.Fatalf("statuses %d and %d, want one 201 and one 409", results[0].status, results[1].status)
		}
		winnerName := "racer-0"
		if results[1].status == http.StatusCreated {
			winnerName = "racer-1"
		}
		var res site.CheckoutResult
		if status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-win", winner.hold.ID, winnerName), &res); status != http.StatusCreated {
			t.Fatalf("winner's checkout: %d", status)
		}
		if status, _, fail := hold(t, e, "late-comer", id, usher.HoldLine{TicketID: adult, Quantity: 1}); status != http.StatusConflict || fail.Error.Message != "sold out" {
			t.Fatalf("hold after the sale: %d %+v, want 409 sold out", status, fail)
		}
		if e.Sim.Vacancy(id) != 0 || e.Sim.Bookings() != 1 || findEvent(t, events(t, e, e.Day()), id).SoldOut != true {
			t.Fatalf("vacancy %d, bookings %d: want 0 and 1, shown sold out", e.Sim.Vacancy(id), e.Sim.Bookings())
		}
	})
}

// Many visitors race for the last three tickets: exactly three are held.
func TestManyVisitorsNeverOversell(t *testing.T) {
	e := sitetest.New(t, sitetest.Options{Engine: "sqlite"})
	id, adult, _ := e.SmallSession()
	if err := e.Sim.SetCapacity(id, e.Sim.Sold(id)+3); err != nil {
		t.Fatal(err)
	}
	e.Sync()
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, _ := hold(t, e, fmt.Sprintf("v%d", i), id, usher.HoldLine{TicketID: adult, Quantity: 1})
			mu.Lock()
			defer mu.Unlock()
			if status == http.StatusCreated {
				granted++
			}
		}()
	}
	wg.Wait()
	if granted != 3 || e.Sim.Vacancy(id) != 0 {
		t.Fatalf("granted %d holds, vacancy %d; want 3 and 0", granted, e.Sim.Vacancy(id))
	}
}

// An expired hold is released only while Centaman still keeps it
// (ASSUMPTION centaman-hold-ttl: Centaman documents no hold duration; the
// venue's is configured).
func TestHoldExpires(t *testing.T) {
	forEachEngine(t, sitetest.Options{}, func(t *testing.T, e *sitetest.Env) {
		id, adult, _ := e.SmallSession()
		if err := e.Sim.SetCapacity(id, e.Sim.Sold(id)+2); err != nil {
			t.Fatal(err)
		}
		e.Sync()
		_, h, _ := hold(t, e, "slow", id, usher.HoldLine{TicketID: adult, Quantity: 2})
		if status, _, _ := hold(t, e, "quick", id, usher.HoldLine{TicketID: adult, Quantity: 1}); status != http.StatusConflict {
			t.Fatalf("hold while all are held: %d, want 409", status)
		}
		e.Clock.Advance(15 * time.Minute)
		var view site.HoldView
		e.JSON("GET", sitetest.Path("holds/"+h.ID+"?visitor=slow"), nil, &view)
		if view.Status != usher.HoldExpired || view.ExpiresInSeconds != 0 {
			t.Fatalf("hold after 15 minutes = %+v, want expired", view)
		}
		var fail sitetest.ErrorBody
		if status := e.JSON("POST", sitetest.Path("checkouts"), checkoutReq("co-late", h.ID, "slow"), &fail); status != http.StatusConflict {
			t.Fatalf("checkout of an expired hold: %d %+v, want 409", status, fail)
		}
		e.Service.Sweep(context.Background())
		if e.Sim.Held(id) != 0 || e.Sim.Vacancy(id) != 2 {
			t.Fatalf("after the sweep: held %d, vacancy %d; want the spots released", e.Sim.Held(id), e.Sim.Vacancy(id))
		}
		if status, _, _ := hold(t, e, "quick", id, usher.HoldLine{TicketID: adult, Quantity: 2}); status != http.StatusCreated {
			t.Fatalf("hold once the other expired: %d, want 201", status)
		}
		if e.Sim.Bookings() != 0 {
			t.Fatalf("%d bookings, want none", e.Sim.Bookings())
		}
	})
}

func mustUnmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
}
