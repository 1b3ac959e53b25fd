package site_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	simcentaman "github.com/usher-hub/usher/internal/sim/centaman"
	"github.com/usher-hub/usher/internal/site"
	"github.com/usher-hub/usher/internal/site/sitetest"
)

// secondary returns a secondary member of a current family membership.
func secondary(t *testing.T, e *sitetest.Env) simcentaman.Member {
	t.Helper()
	for _, m := range e.Sim.Members() {
		if m.Primary != 0 && m.Current {
			return m
		}
	}
	t.Fatal("the simulator has no secondary member of a current family")
	return simcentaman.Member{}
}

func signInWith(t *testing.T, e *sitetest.Env, req site.CredentialsRequest) (int, site.Session, sitetest.ErrorBody) {
	t.Helper()
	var s site.Session
	var fail sitetest.ErrorBody
	status, data := e.Do("POST", sitetest.Path("members/sessions"), req)
	if status == http.StatusCreated {
		mustUnmarshal(t, data, &s)
	} else {
		mustUnmarshal(t, data, &fail)
	}
	return status, s, fail
}

// A family's secondary member signs in with Centaman's member
// authentication (member number and surname; e-mail and password), sees
// the family's membership as theirs, and buys, in one checkout, timed
// tickets at the member price, an extra and general-entry tickets, booked
// under the member, not a new anonymous contact. No undocumented route is
// called.
// ASSUMPTION centaman-secondary-rights.
// ASSUMPTION centaman-cost-rate-lookup.
// ASSUMPTION centaman-member-as-contact.
// ASSUMPTION centaman-extras-not-tickets.
func TestSecondaryMemberSignsInAndBuysEverythingAtMemberPrices(t *testing.T) {
	forEachEngine(t, sitetest.Options{}, func(t *testing.T, e *sitetest.Env) {
		e.Sync()
		kid := secondary(t, e)
		status, _, fail := signInWith(t, e, site.CredentialsRequest{MemberNumber: kid.MemberNumber, Surname: "Wrong"})
		if status != http.StatusUnauthorized || !strings.Contains(fail.Error.Message, "do not match") {
			t.Fatalf("wrong surname: %d %+v, want 401 in words", status, fail)
		}
		status, byEmail, fail := signInWith(t, e, site.CredentialsRequest{Email: kid.Email, Password: simcentaman.MemberPassword(kid.MemberNumber)})
		if status != http.StatusCreated || byEmail.Member.MemberCode != kid.MemberCode {
			t.Fatalf("sign-in by e-mail and password: %d %+v %+v", status, byEmail, fail)
		}
		status, s, fail := signInWith(t, e, site.CredentialsRequest{MemberNumber: kid.MemberNumber, Surname: strings.ToUpper(kid.LastName)})
		if status != http.StatusCreated || s.Member.MemberCode != kid.MemberCode || s.Member.IsPrimary ||
			s.Member.PrimaryMemberCode != kid.Primary || s.Member.Status != "current" {
			t.Fatalf("secondary member sign-in: %d %+v %+v; want a current secondary member", status, s.Member, fail)
		}
		id, adult, _ := e.SmallSession()
		var public, offer site.Offer
		e.JSON("GET", sitetest.Path("events/"+itoa(id)+"/offer"), nil, &public)
		if status := e.JSON("GET", sitetest.Path("events/"+itoa(id)+"/offer"), nil, &offer, site.SessionHeader, s.Token); status != http.StatusOK || !offer.MemberPrice {
			t.Fatalf("member offer: %d %+v", status, offer)
		}
		if len(offer.Extras) == 0 || offer.Prices[0].Price >= public.Prices[0].Price {
			t.Fatalf("member price %v, public %v, extras %+v: want a lower member price and extras", offer.Prices[0].Price, public.Prices[0].Price, offer.Extras)
		}
		var general struct {
			GeneralTickets []site.GeneralTicketView `json:"general_tickets"`
		}
		e.JSON("GET", sitetest.Path("general-tickets"), nil, &general)
		if len(general.GeneralTickets) != 2 {
			t.Fatalf("general-entry tickets sold online: %+v, want the 2 shown without coupon", general.GeneralTickets)
		}
		_, h, _ := hold(t, e, "family", id, usher.HoldLine{TicketID: adult, Quantity: 2})
		req := checkoutReq("co-family", h.ID, "family")
		req.Extras = []site.ItemLine{{ID: offer.Extras[0].ExtraID, Quantity: 2}}
		req.General = []site.ItemLine{{ID: general.GeneralTickets[0].TicketID, Quantity: 1}}
		var res site.CheckoutResult
		if status := e.JSON("POST", sitetest.Path("checkouts"), req, &res, site.SessionHeader, s.Token); status != http.StatusCreated {
			t.Fatalf("family checkout: %d %+v", status, res)
		}
		want := 2*offer.Prices[0].Price.Cents() + 2*offer.Extras[0].Price.Cents() + general.GeneralTickets[0].Price.Cents()
		if len(res.Tickets) != 2 || len(res.Extras) != 1 || len(res.General) != 1 || res.TotalPaid.Cents() != want ||
			res.Member == nil || *res.Member != kid.MemberCode {
			t.Fatalf("result %+v, want 2 timed tickets, 1 extra line, 1 general ticket, total %d cents, booked for member %d", res, want, kid.MemberCode)
		}
		sales := e.Sim.Sales()
		if len(sales) != 1 || sales[0].ContactID != kid.MemberCode || sales[0].Extras != 2 || sales[0].Tickets != 2 || e.Sim.GeneralSold() != 1 {
			t.Fatalf("upstream sales %+v, general sold %d; want one booking under member %d with 2 extras, and 1 general ticket",
				sales, e.Sim.GeneralSold(), kid.MemberCode)
		}
		if e.Sim.Calls("TimedTicket POST") != 0 {
			t.Fatal("a member's checkout created an anonymous booking contact")
		}
		if calls := e.Sim.UndocumentedCalls(); len(calls) != 0 {
			t.Fatalf("undocumented routes called: %v", calls)
		}
	})
}

// A general-entry-only checkout needs no hold, and a ticket that needs a
// coupon is not sold (ASSUMPTION centaman-ga-item-cost).
func TestGeneralEntryOnlyCheckout(t *testing.T) {
	e := sitetest.New(t, sitetest.Options{Engine: "sqlite"})
	e.Sync()
	req := checkoutReq("co-ga", "", "v1")
	req.General = []site.ItemLine{{ID: 702, Quantity: 3}}
	var res site.CheckoutResult
	if status := e.JSON("POST", sitetest.Path("checkouts"), req, &res); status != http.StatusCreated || len(res.General) != 3 || res.Event != nil {
		t.Fatalf("general-entry checkout: %d %+v", status, res)
	}
	req = checkoutReq("co-ga-2", "", "v1")
	req.General = []site.ItemLine{{ID: 703, Quantity: 1}}
	var fail sitetest.ErrorBody
	if status := e.JSON("POST", sitetest.Path("checkouts"), req, &fail); status != http.StatusBadRequest || !strings.Contains(fail.Error.Message, "not sold online") {
		t.Fatalf("a coupon-only ticket: %d %+v, want 400", status, fail)
	}
}

// While members are signed in, a real outage is noticed through
// Diagnostics within seconds, without waiting for a sync or a member's
// next request: every session ends within 10 s.
// ASSUMPTION centaman-diagnostics-health.
func TestOutageEndsMemberSessionsWithinSeconds(t *testing.T) {
	forEachEngine(t, sitetest.Options{}, func(t *testing.T, e *sitetest.Env) {
		e.Sync()
		_, email := member(t, e, true)
		s := signIn(t, e, "web-a", email)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go e.Service.RunProbes(ctx, site.ProbeInterval)
		e.Sim.SetOutage("drop")
		began := time.Now()
		for {
			if exists, err := e.Store.MemberSessionsExist(ctx, sitetest.Institution, e.Clock.Now()); err != nil || !exists {
				break
			}
			if time.Since(began) > 10*time.Second {
				t.Fatal("member sessions still exist 10 s into an outage")
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("sessions ended %.1f s into the outage", time.Since(began).Seconds())
		e.Sim.SetOutage("")
		if status, _, _ := me(t, e, s.Token); status != http.StatusUnauthorized {
			t.Fatalf("session after the outage: %d, want 401", status)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
