package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/usher-hub/usher"
)

// siteBase is a fixed instant: every time in these cases is relative to it.
var siteBase = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

// RunSite checks the website layer's storage: the local copy read by day,
// sync state, holds, idempotent checkouts, member links and sessions. Each
// case opens its own store, so they run in parallel.
func RunSite(t *testing.T, open OpenFunc) {
	for _, c := range []struct {
		name string
		run  func(*testing.T, usher.Store)
	}{
		{"EventsByDayFromLocalCopy", siteEvents},
		{"HeadsFollowAReturningValue", siteHeads},
		{"SyncStateKeepsLastSuccess", siteSyncState},
		{"OneActiveHoldPerVisitorAndSession", siteHolds},
		{"ExpiredHoldsAreListed", siteExpiredHolds},
		{"CheckoutLease", siteCheckoutLease},
		{"ConcurrentCheckoutClaimsOne", siteConcurrentClaims},
		{"CheckoutEmailQueue", siteCheckoutEmail},
		{"MemberLinks", siteMemberLinks},
		{"MemberSessions", siteMemberSessions},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, open(t))
		})
	}
}

func centamanDoc(t *testing.T, inst string, stream usher.Stream, id string, v any) usher.Document {
	t.Helper()
	return build(t, inst, stream, id, v, nil)
}

func session(t *testing.T, inst string, id int64, date, start string, vacancy int) usher.Document {
	return centamanDoc(t, inst, usher.StreamCentamanTimedTicketType, fmt.Sprint(id), map[string]any{
		"TimedTicketTypeId": id, "BookingTypeId": 1, "TimedTicketTypeDescription": "Dinosaurs " + start,
		"StartDate": date + "T00:00:00", "StartTime": start, "EndTime": "17:00", "Capacity": 20, "vacancy": vacancy,
	})
}

func siteEvents(t *testing.T, s usher.Store) {
	ctx := context.Background()
	docs := []usher.Document{
		session(t, "museum", 12, "2026-05-01", "14:00", 20),
		session(t, "museum", 11, "2026-05-01", "10:00", 20),
		session(t, "museum", 13, "2026-05-02", "10:00", 20),
		session(t, "other", 14, "2026-05-01", "09:00", 20),
		centamanDoc(t, "museum", usher.StreamCentamanTimedTickets, "11", []map[string]any{
			{"TicketId": 504, "TicketDescription": "Adult", "TicketPrice": 42.56},
		}),
	}
	mustOutcomes(t, s, docs, usher.OutcomeStored, usher.OutcomeStored, usher.OutcomeStored, usher.OutcomeStored, usher.OutcomeStored)
	// A re-sync with less vacancy is a new version and must be what is read.
	mustOutcomes(t, s, []usher.Document{session(t, "museum", 11, "2026-05-01", "10:00", 3)}, usher.OutcomeStored)

	got, err := s.SiteEvents(ctx, "museum", "2026-05-01")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Session.ExternalID != "11" || got[1].Session.ExternalID != "12" {
		t.Fatalf("events = %v, want sessions 11 then 12 (by start time)", eventIDs(got))
	}
	var first struct {
		Vacancy int `json:"vacancy"`
	}
	if err := json.Unmarshal(got[0].Session.Raw, &first); err != nil || first.Vacancy != 3 {
		t.Fatalf("session 11 vacancy = %d (%v), want the current version's 3", first.Vacancy, err)
	}
	if got[0].Prices == nil || got[0].Session.Version != 2 {
		t.Fatalf("session 11 prices = %v, version %d; want prices and version 2", got[0].Prices, got[0].Session.Version)
	}
	var prices []map[string]any
	if err := json.Unmarshal(got[0].Prices.Raw, &prices); err != nil || len(prices) != 1 {
		t.Fatalf("prices = %s (%v), want the stored array of one", got[0].Prices.Raw, err)
	}
	if got[1].Prices != nil {
		t.Fatalf("session 12 has prices %s, want none", got[1].Prices.Raw)
	}
	if none, err := s.SiteEvents(ctx, "museum", "2026-05-03"); err != nil || len(none) != 0 {
		t.Fatalf("empty day = %v, %v; want nothing", eventIDs(none), err)
	}
}

func siteHeads(t *testing.T, s usher.Store) {
	ctx := context.Background()
	five, three := session(t, "museum", 11, "2026-05-01", "10:00", 5), session(t, "museum", 11, "2026-05-01", "10:00", 3)
	mustOutcomes(t, s, []usher.Document{five}, usher.OutcomeStored)
	mustOutcomes(t, s, []usher.Document{three}, usher.OutcomeStored)
	mustOutcomes(t, s, []usher.Document{five}, usher.OutcomeDuplicate)
	if err := s.PointHeads(ctx, []usher.Document{five}); err != nil {
		t.Fatal(err)
	}
	cur := find(t, s, usher.DocumentFilter{Institution: "museum", Stream: usher.StreamCentamanTimedTicketType, ExternalID: "11"})
	if len(cur) != 1 || cur[0].Hash != five.Hash || cur[0].Version != 1 {
		t.Fatalf("current = %+v, want version 1 (vacancy 5) again", cur)
	}
	all := find(t, s, usher.DocumentFilter{Institution: "museum", Stream: usher.StreamCentamanTimedTicketType, AllVersions: true})
	if len(all) != 2 {
		t.Fatalf("versions = %d, want 2: pointing the head stores nothing", len(all))
	}
	if err := s.PointHeads(ctx, []usher.Document{five, session(t, "museum", 99, "2026-05-01", "10:00", 1)}); err != nil {
		t.Fatalf("pointing at the current head or an unknown document must be a no-op: %v", err)
	}
}

func eventIDs(es []usher.EventDocuments) []string {
	var ids []string
	for _, e := range es {
		ids = append(ids, e.Session.ExternalID)
	}
	return ids
}

func siteSyncState(t *testing.T, s usher.Store) {
	ctx := context.Background()
	ok := usher.SyncRecord{Institution: "museum", Stream: usher.StreamCentamanTimedTicketType,
		LastAttemptAt: siteBase, LastSuccessAt: siteBase, Documents: 42}
	if err := s.RecordSync(ctx, ok); err != nil {
		t.Fatal(err)
	}
	failed := usher.SyncRecord{Institution: "museum", Stream: usher.StreamCentamanTimedTicketType,
		LastAttemptAt: siteBase.Add(5 * time.Minute), LastError: "Centaman is unreachable"}
	if err := s.RecordSync(ctx, failed); err != nil {
		t.Fatal(err)
	}
	recs, err := s.SyncRecords(ctx, "museum")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("records = %+v, want 1", recs)
	}
	r := recs[0]
	if !r.LastSuccessAt.Equal(siteBase) || !r.LastAttemptAt.Equal(siteBase.Add(5*time.Minute)) ||
		r.LastError != "Centaman is unreachable" || r.Documents != 42 {
		t.Fatalf("after a failure = %+v, want the last success (and its 42 documents) kept with the new error", r)
	}
	if other, _ := s.SyncRecords(ctx, "other"); len(other) != 0 {
		t.Fatalf("other institution sees %+v", other)
	}
}

func newHold(id, visitor string, event int64, expires time.Time) usher.Hold {
	return usher.Hold{ID: id, Institution: "museum", Visitor: visitor, EventID: event, EventDate: "2026-05-01",
		Lines: []usher.HoldLine{{TicketID: 504, Quantity: 2}}, Status: usher.HoldActive,
		ExpiresAt: expires, UpstreamExpiresAt: expires.Add(5 * time.Minute), CreatedAt: siteBase, UpdatedAt: siteBase}
}

func siteHolds(t *testing.T, s usher.Store) {
	ctx := context.Background()
	h := newHold("h1", "visitor-a", 11, siteBase.Add(15*time.Minute))
	if err := s.CreateHold(ctx, h); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateHold(ctx, newHold("h2", "visitor-a", 11, siteBase.Add(15*time.Minute))); usher.ErrorCode(err) != usher.ECONFLICT {
		t.Fatalf("second active hold: err = %v, want conflict", err)
	}
	if err := s.CreateHold(ctx, newHold("h3", "visitor-a", 12, siteBase.Add(15*time.Minute))); err != nil {
		t.Fatalf("hold on another session: %v", err)
	}
	got, err := s.ActiveHold(ctx, "museum", "visitor-a", 11)
	if err != nil || got.ID != "h1" || got.Quantity() != 2 || !got.ExpiresAt.Equal(h.ExpiresAt) {
		t.Fatalf("active hold = %+v, %v; want h1 with 2 tickets", got, err)
	}
	got.Status, got.UpdatedAt = usher.HoldSold, siteBase.Add(time.Minute)
	if err := s.UpdateHold(ctx, got); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ActiveHold(ctx, "museum", "visitor-a", 11); usher.ErrorCode(err) != usher.ENOTFOUND {
		t.Fatalf("active hold after sale: %v, want not found", err)
	}
	if err := s.CreateHold(ctx, newHold("h4", "visitor-a", 11, siteBase.Add(30*time.Minute))); err != nil {
		t.Fatalf("new hold after the sale: %v", err)
	}
	sold, err := s.FindHold(ctx, "museum", "h1")
	if err != nil || sold.Status != usher.HoldSold {
		t.Fatalf("h1 = %+v, %v; want sold", sold, err)
	}
	sold.Status = usher.HoldUncertain
	if err := s.UpdateHold(ctx, sold); err != nil {
		t.Fatalf("a hold whose sale's answer was lost must be storable as uncertain: %v", err)
	}
	if _, err := s.FindHold(ctx, "other", "h1"); usher.ErrorCode(err) != usher.ENOTFOUND {
		t.Fatalf("hold of another institution: %v, want not found", err)
	}
	if err := s.UpdateHold(ctx, newHold("missing", "v", 1, siteBase)); usher.ErrorCode(err) != usher.ENOTFOUND {
		t.Fatalf("update of a missing hold: %v, want not found", err)
	}
}

func siteExpiredHolds(t *testing.T, s usher.Store) {
	ctx := context.Background()
	for i, minutes := range []int{20, 5, 10} {
		h := newHold(fmt.Sprintf("h%d", i), fmt.Sprintf("v%d", i), 11, siteBase.Add(time.Duration(minutes)*time.Minute))
		if err := s.CreateHold(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.HoldsExpiredBy(ctx, siteBase.Add(10*time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "h1" || got[1].ID != "h2" {
		t.Fatalf("expired by +10m = %+v, want h1 (5m) then h2 (10m)", got)
	}
}

func newCheckout(id, hash string, lease time.Time) usher.Checkout {
	return usher.Checkout{Institution: "museum", ID: id, RequestHash: hash, HoldID: "h1",
		PaymentReference: "pay-" + id, Email: "ann@example.org", LeaseUntil: lease}
}

func siteCheckoutLease(t *testing.T, s usher.Store) {
	ctx := context.Background()
	lease := siteBase.Add(time.Minute)
	c, claimed, err := s.ClaimCheckout(ctx, newCheckout("co-1", "hash-a", lease), siteBase)
	if err != nil || !claimed || c.Attempts != 1 || c.State != usher.CheckoutPending {
		t.Fatalf("first claim = %+v, %v, %v; want claimed pending attempt 1", c, claimed, err)
	}
	if c, claimed, _ = s.ClaimCheckout(ctx, newCheckout("co-1", "hash-a", lease), siteBase.Add(time.Second)); claimed || c.State != usher.CheckoutPending {
		t.Fatalf("claim during the lease = %+v, claimed %v; want refused while pending", c, claimed)
	}
	if c, claimed, _ = s.ClaimCheckout(ctx, newCheckout("co-1", "hash-b", lease), siteBase.Add(2*time.Minute)); claimed || c.RequestHash != "hash-a" {
		t.Fatalf("claim with another body = %+v, claimed %v; want refused, stored hash-a returned", c, claimed)
	}
	c, claimed, err = s.ClaimCheckout(ctx, newCheckout("co-1", "hash-a", siteBase.Add(3*time.Minute)), siteBase.Add(2*time.Minute))
	if err != nil || !claimed || c.Attempts != 2 {
		t.Fatalf("claim after the lease ended = %+v, %v, %v; want taken over as attempt 2", c, claimed, err)
	}
	c.State, c.UpdatedAt = usher.CheckoutUnknown, siteBase.Add(2*time.Minute)
	if err := s.FinishCheckout(ctx, c); err != nil {
		t.Fatal(err)
	}
	c, claimed, _ = s.ClaimCheckout(ctx, newCheckout("co-1", "hash-a", siteBase.Add(4*time.Minute)), siteBase.Add(time.Hour))
	if claimed || c.State != usher.CheckoutUnknown || c.Attempts != 2 {
		t.Fatalf("claim of an unknown checkout = %+v, %v; want refused: its sale may be recorded, only the venue settles it", c, claimed)
	}
	unknown, err := s.CheckoutsInState(ctx, "museum", usher.CheckoutUnknown, 10)
	if err != nil || len(unknown) != 1 || unknown[0].ID != "co-1" {
		t.Fatalf("unknown checkouts = %+v, %v; want co-1", unknown, err)
	}
	if found, err := s.FindCheckout(ctx, "museum", "co-1"); err != nil || found.State != usher.CheckoutUnknown {
		t.Fatalf("find co-1 = %+v, %v", found, err)
	}
	if _, err := s.FindCheckout(ctx, "museum", "missing"); usher.ErrorCode(err) != usher.ENOTFOUND {
		t.Fatalf("find a missing checkout: %v, want not found", err)
	}
	c.State, c.BookingID, c.Result = usher.CheckoutDone, "9001", json.RawMessage(`{"booking_id":"9001"}`)
	if err := s.FinishCheckout(ctx, c); err != nil {
		t.Fatal(err)
	}
	c, claimed, _ = s.ClaimCheckout(ctx, newCheckout("co-1", "hash-a", siteBase.Add(time.Hour)), siteBase.Add(time.Hour))
	if claimed || c.State != usher.CheckoutDone || c.BookingID != "9001" || !jsonEqual(c.Result, `{"booking_id":"9001"}`) {
		t.Fatalf("claim of a done checkout = %+v, %v; want the stored result replayed", c, claimed)
	}
	if err := s.FinishCheckout(ctx, newCheckout("missing", "h", siteBase)); usher.ErrorCode(err) != usher.ENOTFOUND {
		t.Fatalf("finish of a missing checkout: %v, want not found", err)
	}
}

func jsonEqual(raw json.RawMessage, want string) bool {
	a, errA := usher.HashJSON(raw)
	b, errB := usher.HashJSON([]byte(want))
	return errA == nil && errB == nil && a == b
}

func siteConcurrentClaims(t *testing.T, s usher.Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	claims := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, claimed, err := s.ClaimCheckout(ctx, newCheckout("co-race", "hash", siteBase.Add(time.Minute)), siteBase)
			if err != nil {
				t.Errorf("claim: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if claimed {
				claims++
			}
		}()
	}
	wg.Wait()
	if claims != 1 {
		t.Fatalf("%d of 8 concurrent claims took the lease, want exactly 1", claims)
	}
}

func siteCheckoutEmail(t *testing.T, s usher.Store) {
	ctx := context.Background()
	for _, id := range []string{"co-a", "co-b", "co-c"} {
		c, _, err := s.ClaimCheckout(ctx, newCheckout(id, "h", siteBase), siteBase)
		if err != nil {
			t.Fatal(err)
		}
		if id != "co-c" {
			c.State, c.UpdatedAt = usher.CheckoutDone, siteBase
			if err := s.FinishCheckout(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
	}
	waiting, err := s.CheckoutsAwaitingEmail(ctx, 10)
	if err != nil || len(waiting) != 2 {
		t.Fatalf("awaiting email = %+v, %v; want the 2 done checkouts", waiting, err)
	}
	if err := s.MarkCheckoutEmailed(ctx, "museum", "co-a", siteBase.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	waiting, _ = s.CheckoutsAwaitingEmail(ctx, 10)
	if len(waiting) != 1 || waiting[0].ID != "co-b" {
		t.Fatalf("awaiting email after sending co-a = %+v, want co-b only", waiting)
	}
	sent, _, _ := s.ClaimCheckout(ctx, newCheckout("co-a", "h", siteBase), siteBase)
	if sent.EmailSentAt == nil || !sent.EmailSentAt.Equal(siteBase.Add(time.Second)) {
		t.Fatalf("co-a email sent at = %v, want %v", sent.EmailSentAt, siteBase.Add(time.Second))
	}
}

func siteMemberLinks(t *testing.T, s usher.Store) {
	ctx := context.Background()
	links := []usher.MemberLink{
		{Institution: "museum", Identity: "web-1", MemberCode: 7, Email: "ann@example.org", LinkedAt: siteBase},
		{Institution: "museum", Identity: "web-2", MemberCode: 7, Email: "ann@example.org", LinkedAt: siteBase},
		{Institution: "museum", Identity: "web-3", MemberCode: 3, Email: "bob@example.org", LinkedAt: siteBase},
		{Institution: "other", Identity: "web-1", MemberCode: 99, Email: "zed@example.org", LinkedAt: siteBase},
	}
	for _, l := range links {
		if err := s.LinkMember(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	relink := usher.MemberLink{Institution: "museum", Identity: "web-2", MemberCode: 5, Email: "cy@example.org", LinkedAt: siteBase.Add(time.Hour)}
	if err := s.LinkMember(ctx, relink); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindMemberLink(ctx, "museum", "web-2")
	if err != nil || got.MemberCode != 5 || got.Email != "cy@example.org" || !got.LinkedAt.Equal(relink.LinkedAt) {
		t.Fatalf("relinked web-2 = %+v, %v; want member 5", got, err)
	}
	if _, err := s.FindMemberLink(ctx, "museum", "web-9"); usher.ErrorCode(err) != usher.ENOTFOUND {
		t.Fatalf("unknown identity: %v, want not found", err)
	}
	codes, err := s.LinkedMemberCodes(ctx, "museum")
	if err != nil || fmt.Sprint(codes) != "[3 5 7]" {
		t.Fatalf("linked codes = %v, %v; want [3 5 7]", codes, err)
	}
}

func siteMemberSessions(t *testing.T, s usher.Store) {
	ctx := context.Background()
	for i, inst := range []string{"museum", "museum", "other"} {
		m := usher.MemberSession{TokenHash: fmt.Sprintf("tok-%d", i), Institution: inst, Identity: "web-1",
			MemberCode: 7, CreatedAt: siteBase, ExpiresAt: siteBase.Add(30 * time.Minute)}
		if err := s.CreateMemberSession(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.FindMemberSession(ctx, "tok-0", siteBase.Add(time.Minute))
	if err != nil || got.MemberCode != 7 || got.Institution != "museum" {
		t.Fatalf("session = %+v, %v", got, err)
	}
	if _, err := s.FindMemberSession(ctx, "tok-0", siteBase.Add(31*time.Minute)); usher.ErrorCode(err) != usher.ENOTFOUND {
		t.Fatalf("expired session: %v, want not found", err)
	}
	if err := s.EndMemberSession(ctx, "tok-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindMemberSession(ctx, "tok-1", siteBase); usher.ErrorCode(err) != usher.ENOTFOUND {
		t.Fatalf("ended session: %v, want not found", err)
	}
	if exists, err := s.MemberSessionsExist(ctx, "museum", siteBase); err != nil || !exists {
		t.Fatalf("museum sessions exist = %v, %v; want true", exists, err)
	}
	if exists, err := s.MemberSessionsExist(ctx, "museum", siteBase.Add(24*time.Hour)); err != nil || exists {
		t.Fatalf("museum sessions exist a day later = %v, %v; want false (all expired)", exists, err)
	}
	n, err := s.EndMemberSessions(ctx, "museum")
	if err != nil || n != 1 {
		t.Fatalf("ended %d museum sessions (%v), want the 1 left", n, err)
	}
	if _, err := s.FindMemberSession(ctx, "tok-2", siteBase); err != nil {
		t.Fatalf("other institution's session ended too: %v", err)
	}
}
