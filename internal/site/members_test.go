package site_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/site"
	"github.com/usher-hub/usher/internal/site/sitetest"
)

// member returns a generated member of the simulator whose membership is
// (or is not) current.
func member(t *testing.T, e *sitetest.Env, current bool) (int64, string) {
	t.Helper()
	for _, m := range e.Sim.Members() {
		if m.Current == current && m.Primary == 0 {
			return m.MemberCode, m.Email
		}
	}
	t.Fatalf("no member with current=%v", current)
	return 0, ""
}

func signIn(t *testing.T, e *sitetest.Env, identity, email string) site.Session {
	t.Helper()
	var m site.MemberView
	if status := e.JSON("POST", sitetest.Path("members/links"), site.LinkRequest{Identity: identity, Email: email}, &m); status != http.StatusOK {
		t.Fatalf("link %s: %d", email, status)
	}
	var s site.Session
	if status := e.JSON("POST", sitetest.Path("members/sessions"), map[string]string{"identity": identity}, &s); status != http.StatusCreated || s.Token == "" {
		t.Fatalf("sign in: %d %+v", status, s)
	}
	return s
}

func me(t *testing.T, e *sitetest.Env, token string) (int, site.MemberView, sitetest.ErrorBody) {
	t.Helper()
	var m site.MemberView
	var fail sitetest.ErrorBody
	status, data := e.Do("GET", sitetest.Path("members/me"), nil, site.SessionHeader, token)
	if status == http.StatusOK {
		mustUnmarshal(t, data, &m)
	} else {
		mustUnmarshal(t, data, &fail)
	}
	return status, m, fail
}

func changeMembership(t *testing.T, e *sitetest.Env, token string, req site.MembershipRequest) (int, site.MemberView) {
	t.Helper()
	var m site.MemberView
	status := e.JSON("POST", sitetest.Path("members/me/memberships"), req, &m, site.SessionHeader, token)
	return status, m
}

func TestMembersLinkSignInAndReadStatusFresh(t *testing.T) {
	forEachEngine(t, sitetest.Options{}, func(t *testing.T, e *sitetest.Env) {
		e.Sync()
		code, email := member(t, e, true)
		s := signIn(t, e, "web-ann", email)
		if s.Member.MemberCode != code || s.Member.Status != "current" {
			t.Fatalf("session member = %+v, want %d current", s.Member, code)
		}
		reads := e.Sim.Calls("Member GET")
		status, m, _ := me(t, e, s.Token)
		if status != http.StatusOK || m.Status != "current" || e.Sim.Calls("Member GET") != reads+1 {
			t.Fatalf("me: %d %+v, %d reads; want current, read fresh from Centaman", status, m, e.Sim.Calls("Member GET")-reads)
		}
		var nobody sitetest.ErrorBody
		if status := e.JSON("POST", sitetest.Path("members/links"), site.LinkRequest{Identity: "web-x", Email: "nobody@example.org"}, &nobody); status != http.StatusNotFound {
			t.Fatalf("link of an unknown e-mail: %d %+v", status, nobody)
		}
		if status := e.JSON("POST", sitetest.Path("members/sessions"), map[string]string{"identity": "web-x"}, nil); status != http.StatusNotFound {
			t.Fatalf("sign-in of an unlinked identity: %d, want 404", status)
		}
		if status, _ := e.Do("DELETE", sitetest.Path("members/me"), nil, site.SessionHeader, s.Token); status != http.StatusOK {
			t.Fatalf("sign out: %d", status)
		}
		if status, _, _ := me(t, e, s.Token); status != http.StatusUnauthorized {
			t.Fatalf("me after signing out: %d, want 401", status)
		}
	})
}

func TestMembersBuyUpgradeAndSwitch(t *testing.T) {
	forEachEngine(t, sitetest.Options{}, func(t *testing.T, e *sitetest.Env) {
		e.Sync()
		_, email := member(t, e, false)
		s := signIn(t, e, "web-lapsed", email)
		if s.Member.Status != "lapsed" {
			t.Fatalf("member = %+v, want lapsed", s.Member)
		}
		status, m := changeMembership(t, e, s.Token, site.MembershipRequest{Action: site.ActionBuy, TypeCode: 11, PaymentReference: "pay-buy"})
		if status != http.StatusOK || m.Status != "current" {
			t.Fatalf("buy: %d %+v, want current", status, m)
		}
		n := len(m.Memberships)
		if status, again := changeMembership(t, e, s.Token, site.MembershipRequest{Action: site.ActionBuy, TypeCode: 11, PaymentReference: "pay-buy"}); status != http.StatusOK || len(again.Memberships) != n {
			t.Fatalf("retried buy: %d with %d memberships, want the same %d", status, len(again.Memberships), n)
		}
		if status, _ := changeMembership(t, e, s.Token, site.MembershipRequest{Action: site.ActionBuy, TypeCode: 12, PaymentReference: "pay-buy-2"}); status != http.StatusConflict {
			t.Fatalf("buying while current: %d, want 409", status)
		}
		status, m = changeMembership(t, e, s.Token, site.MembershipRequest{Action: site.ActionUpgrade, TypeCode: 12, PaymentReference: "pay-up"})
		if status != http.StatusOK || currentType(m) != 12 {
			t.Fatalf("upgrade to Family: %d %+v", status, m)
		}
		if status, _ := changeMembership(t, e, s.Token, site.MembershipRequest{Action: site.ActionUpgrade, TypeCode: 13, PaymentReference: "pay-down"}); status != http.StatusConflict {
			t.Fatalf("'upgrade' to a cheaper type: %d, want 409", status)
		}
		status, m = changeMembership(t, e, s.Token, site.MembershipRequest{Action: site.ActionSwitch, TypeCode: 13, PaymentReference: "pay-switch"})
		if status != http.StatusOK || currentType(m) != 13 || countCurrent(m) != 1 {
			t.Fatalf("switch to Concession: %d %+v, want exactly one current membership, Concession", status, m)
		}
		var bad sitetest.ErrorBody
		if status := e.JSON("POST", sitetest.Path("members/me/memberships"), map[string]any{"action": "gift", "type_code": 11, "payment_reference": "x"},
			&bad, site.SessionHeader, s.Token); status != http.StatusBadRequest {
			t.Fatalf("unknown action: %d %+v", status, bad)
		}
	})
}

func currentType(m site.MemberView) int64 {
	for _, ms := range m.Memberships {
		if ms.Current {
			return ms.TypeCode
		}
	}
	return 0
}

func countCurrent(m site.MemberView) int {
	n := 0
	for _, ms := range m.Memberships {
		if ms.Current {
			n++
		}
	}
	return n
}

func TestVisitorJoinsOnceEvenWhenRetried(t *testing.T) {
	forEachEngine(t, sitetest.Options{}, func(t *testing.T, e *sitetest.Env) {
		e.Sync()
		req := site.JoinRequest{Identity: "web-new", FirstName: "Zoe", LastName: "Park", Email: "zoe@example.org", TypeCode: 11, PaymentReference: "pay-join"}
		var m site.MemberView
		if status := e.JSON("POST", sitetest.Path("members"), req, &m); status != http.StatusCreated || m.Status != "current" {
			t.Fatalf("join: %d %+v", status, m)
		}
		var again site.MemberView
		if status := e.JSON("POST", sitetest.Path("members"), req, &again); status != http.StatusCreated || again.MemberCode != m.MemberCode || len(again.Memberships) != 1 {
			t.Fatalf("retried join: %d %+v, want the same member with one membership", status, again)
		}
		other := req
		other.PaymentReference = "pay-join-2"
		if status := e.JSON("POST", sitetest.Path("members"), other, nil); status != http.StatusConflict {
			t.Fatalf("joining again with the same e-mail: %d, want 409", status)
		}
		if s := signIn(t, e, "web-new", "zoe@example.org"); s.Member.MemberCode != m.MemberCode {
			t.Fatalf("signed in as %d, want %d", s.Member.MemberCode, m.MemberCode)
		}
	})
}

// While Centaman is unreachable: member sessions end, actions answer 503
// with a message saying why, and the copy keeps serving, saying how old.
func TestUpstreamOutageFailsClosed(t *testing.T) {
	forEachEngine(t, sitetest.Options{}, func(t *testing.T, e *sitetest.Env) {
		e.Sync()
		_, emailA := member(t, e, true)
		id, adult, _ := e.SmallSession()
		a := signIn(t, e, "web-a", emailA)
		b := signIn(t, e, "web-b", emailA)
		_, h, _ := hold(t, e, "v1", id, usher.HoldLine{TicketID: adult, Quantity: 1})
		e.Sim.SetOutage("drop")

		status, _, fail := me(t, e, a.Token)
		if status != http.StatusServiceUnavailable || fail.Error.Detail["session_ended"] != true || !strings.Contains(fail.Error.Message, "signed out") {
			t.Fatalf("member status during the outage: %d %+v, want 503 saying the session ended", status, fail)
		}
		for who, tok := range map[string]string{"a": a.Token, "b": b.Token} {
			if status, _, _ := me(t, e, tok); status != http.StatusUnauthorized {
				t.Fatalf("session %s after the outage was noticed: %d, want 401 (ended)", who, status)
			}
		}
		evs := events(t, e, e.Day())
		if len(evs.Events) == 0 || evs.Freshness.Upstream.State != "unreachable" || evs.Freshness.SyncedAt == nil {
			t.Fatalf("events during the outage: %+v, want the copy with its age and Centaman unreachable", evs.Freshness)
		}
		requireUnavailable(t, e, "POST", "holds", site.HoldRequest{Visitor: "v2", EventID: id, Tickets: []usher.HoldLine{{TicketID: adult, Quantity: 1}}})
		requireUnavailable(t, e, "POST", "checkouts", checkoutReq("co-out", h.ID, "v1"))
		requireUnavailable(t, e, "POST", "members/links", site.LinkRequest{Identity: "web-c", Email: emailA})
		requireUnavailable(t, e, "POST", "members/sessions", map[string]string{"identity": "web-a"})
		if _, err := e.Service.Sync(t.Context(), sitetest.Institution); err == nil {
			t.Fatal("sync during the outage reported no error")
		}
		var st site.Status
		e.JSON("GET", sitetest.Path("status"), nil, &st)
		if st.Upstream.State != "unreachable" || len(st.Streams) == 0 || st.Streams[0].LastError == "" || st.Streams[0].LastSuccessAt == nil {
			t.Fatalf("status = %+v, want the failed attempt recorded and the last success kept", st)
		}

		e.Sim.SetOutage("")
		e.Sync()
		if s := signIn(t, e, "web-a", emailA); s.Member.Status != "current" {
			t.Fatalf("sign-in once Centaman is back: %+v", s)
		}
		if e.Sim.Bookings() != 0 {
			t.Fatalf("%d bookings, want none: the checkout during the outage must not have sold", e.Sim.Bookings())
		}
	})
}

func requireUnavailable(t *testing.T, e *sitetest.Env, method, route string, body any) {
	t.Helper()
	var fail sitetest.ErrorBody
	status := e.JSON(method, sitetest.Path(route), body, &fail)
	if status != http.StatusServiceUnavailable || !strings.Contains(fail.Error.Message, "Centaman") {
		t.Fatalf("%s %s during the outage: %d %+v, want 503 naming Centaman", method, route, status, fail)
	}
}

// A sync that finds Centaman unreachable signs every member out, without
// waiting for each member's next request.
func TestSyncNoticingAnOutageEndsMemberSessions(t *testing.T) {
	e := sitetest.New(t, sitetest.Options{Engine: "sqlite"})
	e.Sync()
	_, email := member(t, e, true)
	s := signIn(t, e, "web-a", email)
	e.Sim.SetOutage("error")
	if _, err := e.Service.Sync(t.Context(), sitetest.Institution); err == nil {
		t.Fatal("sync during the outage reported no error")
	}
	e.Sim.SetOutage("")
	if status, _, _ := me(t, e, s.Token); status != http.StatusUnauthorized {
		t.Fatalf("session after the outage: %d, want 401: it ended when the outage was noticed", status)
	}
}
