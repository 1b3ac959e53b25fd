package site_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/site"
	"github.com/usher-hub/usher/internal/site/sitetest"
)

// bigSessions returns n sessions of the day, each given 100 free places,
// with their first ticket id.
func bigSessions(t *testing.T, e *sitetest.Env, n int) (ids, tickets []int64) {
	t.Helper()
	for _, s := range e.Sim.Sessions(e.Day()) {
		if len(ids) == n {
			break
		}
		if err := e.Sim.SetCapacity(s.ID, e.Sim.Sold(s.ID)+100); err != nil {
			t.Fatal(err)
		}
		ids, tickets = append(ids, s.ID), append(tickets, s.TicketIDs[0])
	}
	if len(ids) < n {
		t.Fatalf("only %d sessions today, want %d", len(ids), n)
	}
	e.Sync()
	return ids, tickets
}

// TestHoldCannotBeRenewedForever: renewing every 14 minutes keeps a hold
// until its maximum lifetime (1 h), not forever; then the tickets go
// back on sale when it expires.
func TestHoldCannotBeRenewedForever(t *testing.T) {
	e := sitetest.New(t, sitetest.Options{Engine: "sqlite"})
	ids, tickets := bigSessions(t, e, 1)
	line := usher.HoldLine{TicketID: tickets[0], Quantity: 5}
	status, first, _ := hold(t, e, "renewer", ids[0], line)
	if status != http.StatusCreated {
		t.Fatalf("hold: %d", status)
	}
	renewals := 0
	var refusal sitetest.ErrorBody
	for range 10 {
		e.Clock.Advance(14 * time.Minute)
		status, _, refusal = hold(t, e, "renewer", ids[0], line)
		if status != http.StatusOK {
			break
		}
		renewals++
	}
	if status != http.StatusConflict || !strings.Contains(refusal.Error.Message, "cannot run past") {
		t.Fatalf("after %d renewals: %d %+v, want 409 saying the hold cannot run longer", renewals, status, refusal)
	}
	if lived := time.Duration(renewals)*14*time.Minute + 15*time.Minute; lived > site.DefaultHoldLimits.MaxLifetime {
		t.Fatalf("%d renewals kept the hold %s, beyond the %s lifetime", renewals, lived, site.DefaultHoldLimits.MaxLifetime)
	}
	e.Clock.Advance(15 * time.Minute)
	if _, err := e.Service.ExpireHolds(t.Context()); err != nil {
		t.Fatal(err)
	}
	if held := e.Sim.Held(ids[0]); held != 0 {
		t.Fatalf("%d tickets still held upstream after the lifetime of hold %s", held, first.ID)
	}
}

// TestVisitorHoldsAreCapped: one visitor cannot hold more than the cap
// over several sessions; releasing one hold makes room again.
func TestVisitorHoldsAreCapped(t *testing.T) {
	e := sitetest.New(t, sitetest.Options{Engine: "sqlite"})
	ids, tickets := bigSessions(t, e, 3)
	var views []site.HoldView
	for i := range 2 {
		status, v, _ := hold(t, e, "hoarder", ids[i], usher.HoldLine{TicketID: tickets[i], Quantity: site.MaxTicketsPerHold})
		if status != http.StatusCreated {
			t.Fatalf("hold %d: %d", i, status)
		}
		views = append(views, v)
	}
	status, _, refusal := hold(t, e, "hoarder", ids[2], usher.HoldLine{TicketID: tickets[2], Quantity: 1})
	if status != http.StatusConflict || !strings.Contains(refusal.Error.Message, "at most 40") {
		t.Fatalf("a third hold over the cap: %d %+v, want 409", status, refusal)
	}
	if status, _, _ := hold(t, e, "someone-else", ids[2], usher.HoldLine{TicketID: tickets[2], Quantity: 1}); status != http.StatusCreated {
		t.Fatalf("another visitor is limited by the hoarder: %d", status)
	}
	if status, _ := e.Do("DELETE", sitetest.Path("holds/"+views[0].ID+"?visitor=hoarder"), nil); status != http.StatusOK {
		t.Fatalf("release: %d", status)
	}
	if status, _, refusal := hold(t, e, "hoarder", ids[2], usher.HoldLine{TicketID: tickets[2], Quantity: 1}); status != http.StatusCreated {
		t.Fatalf("after releasing a hold: %d %+v", status, refusal)
	}
}
