package centaman_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	simcentaman "github.com/usher-hub/usher/internal/sim/centaman"
	"github.com/usher-hub/usher/internal/upstream/centaman"
)

var day0 = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)

type bundle struct {
	sim    *simcentaman.Sim
	clock  *simcentaman.Clock
	client *centaman.Client
	url    string
}

func setup(t *testing.T) bundle {
	t.Helper()
	clock := simcentaman.NewClock(day0)
	sim := simcentaman.New(simcentaman.Options{Username: "web", Password: "s3cret", Now: clock.Now, Seed: 1, Days: 3})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, "s3cret", 5*time.Second)
	return bundle{sim: sim, clock: clock, client: c, url: srv.URL}
}

func newClient(t *testing.T, url, password string, timeout time.Duration) *centaman.Client {
	t.Helper()
	c, err := centaman.New(centaman.Config{BaseURL: url + simcentaman.BasePath, Username: "web", Password: password, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// dinosaurs returns a small session of the day and its adult price line.
func dinosaurs(t *testing.T, b bundle) (id, adult int64) {
	t.Helper()
	for _, s := range b.sim.Sessions("2026-05-01") {
		if s.Capacity == 20 {
			return s.ID, s.TicketIDs[0]
		}
	}
	t.Fatal("no dinosaur session generated")
	return 0, 0
}

func TestSessionsPricesAndRawDocuments(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	sessions, err := b.client.TimedTicketTypes(ctx, "2026-05-01", "2026-05-02")
	if err != nil {
		t.Fatal(err)
	}
	want := len(b.sim.Sessions("2026-05-01")) + len(b.sim.Sessions("2026-05-02"))
	if len(sessions) != want || want == 0 {
		t.Fatalf("got %d sessions, want %d", len(sessions), want)
	}
	s := sessions[0]
	if s.Date() != "2026-05-01" || s.Capacity == 0 || s.Vacancy != b.sim.Vacancy(s.TimedTicketTypeID) {
		t.Fatalf("first session = %+v, want a 2026-05-01 session with the simulator's vacancy", s)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(s.Raw, &fields); err != nil {
		t.Fatal(err)
	}
	if _, ok := fields["vacancy"]; !ok {
		t.Fatalf("raw session %s lacks the lower-case vacancy field", s.Raw)
	}
	raw, prices, err := b.client.TimedTickets(ctx, s.TimedTicketTypeID)
	if err != nil || len(prices) == 0 || prices[0].TicketPrice <= 0 {
		t.Fatalf("prices = %+v, %v", prices, err)
	}
	if !json.Valid(raw) || raw[0] != '[' {
		t.Fatalf("raw prices %s is not the array as sent", raw)
	}
}

// A hold reduces vacancy, a release with ?Releaseflag=1 gives it back
// (ASSUMPTION centaman-release-flag: only client code shows the flag), a
// hold that does not fit answers false, and an expired hold frees its
// spots.
func TestHoldReleaseAndExpiry(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	id, adult := dinosaurs(t, b)
	before := b.sim.Vacancy(id)
	line := []centaman.HoldLine{{TimedTicketTypeID: id, TimedTicketID: adult, NumberOfTickets: 2}}
	if err := b.client.Reserve(ctx, line); err != nil {
		t.Fatal(err)
	}
	if got, err := b.client.Availability(ctx, id, "2026-05-01"); err != nil || got.Vacancy != before-2 {
		t.Fatalf("vacancy after a hold of 2 = %d (%v), want %d", got.Vacancy, err, before-2)
	}
	if err := b.client.Release(ctx, line); err != nil {
		t.Fatal(err)
	}
	if got := b.sim.Vacancy(id); got != before {
		t.Fatalf("vacancy after release = %d, want %d", got, before)
	}
	tooMany := []centaman.HoldLine{{TimedTicketTypeID: id, TimedTicketID: adult, NumberOfTickets: before + 1}}
	if err := b.client.Reserve(ctx, tooMany); usher.ErrorCode(err) != usher.ECONFLICT {
		t.Fatalf("holding more than the vacancy: %v, want a conflict", err)
	}
	if err := b.client.Reserve(ctx, line); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(simcentaman.DefaultHoldTTL)
	if got := b.sim.Vacancy(id); got != before {
		t.Fatalf("vacancy once the hold expired = %d, want %d", got, before)
	}
}

func TestSaleConsumesHoldAndHasBarcodePerTicket(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	id, adult := dinosaurs(t, b)
	if err := b.client.Reserve(ctx, []centaman.HoldLine{{TimedTicketTypeID: id, TimedTicketID: adult, NumberOfTickets: 3}}); err != nil {
		t.Fatal(err)
	}
	vacancyWhileHeld := b.sim.Vacancy(id)
	contact, err := b.client.CreateBookingContact(ctx, centaman.Contact{FirstName: "Ann", LastName: "Nguyen", Email: "ann@example.org"})
	if err != nil || contact.MemberCode == 0 {
		t.Fatalf("contact = %+v, %v", contact, err)
	}
	bookings, err := b.client.CreateTransaction(ctx, sale(id, adult, contact.MemberCode, 3, "pay-1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(bookings) != 1 || bookings[0].BookingID == nil || bookings[0].ReceiptNo == nil || len(bookings[0].Item) != 3 {
		t.Fatalf("bookings = %+v, want one booking with 3 ticket items", bookings)
	}
	seen := map[string]bool{}
	for _, it := range bookings[0].Item {
		if it.Barcode == nil || *it.Barcode == "" || seen[*it.Barcode] {
			t.Fatalf("item %+v: want a distinct barcode per ticket", it)
		}
		seen[*it.Barcode] = true
	}
	if b.sim.Held(id) != 0 || b.sim.Vacancy(id) != vacancyWhileHeld {
		t.Fatalf("held %d, vacancy %d after the sale; want the hold consumed and vacancy %d unchanged",
			b.sim.Held(id), b.sim.Vacancy(id), vacancyWhileHeld)
	}
	if calls := b.sim.UndocumentedCalls(); len(calls) != 0 {
		t.Fatalf("the client called routes Centaman does not document: %v", calls)
	}
}

func sale(id, ticket, contact int64, n int, ref string) centaman.Transaction {
	return centaman.Transaction{
		TimedTicketTypeID: id, BookingTypeID: 2, StartDate: "2026-05-01", PaymentReference: ref,
		TransactionDate: day0.Format("2006-01-02T15:04:05"), BookingContactID: contact, TotalTickets: n,
		TotalPaid: 42.56 * centaman.Amount(n), BookingCost: 38.69 * centaman.Amount(n), TaxPaid: 3.87 * centaman.Amount(n),
		Item: []centaman.Item{{ItemCode: ticket, Quantity: n, ItemCost: 38.69, TaxPaid: 3.87, TotalPaid: 42.56 * centaman.Amount(n)}},
	}
}

func TestSaleBeyondVacancyIsRefused(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	id, adult := dinosaurs(t, b)
	if err := b.sim.SetCapacity(id, b.sim.Sold(id)+1); err != nil {
		t.Fatal(err)
	}
	contact, err := b.client.CreateBookingContact(ctx, centaman.Contact{FirstName: "Bob", LastName: "Lee", Email: "bob@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.client.CreateTransaction(ctx, sale(id, adult, contact.MemberCode, 2, "pay-2"))
	if usher.ErrorCode(err) != usher.EUNPROCESSABLE || centaman.IsUnreachable(err) {
		t.Fatalf("selling 2 with 1 left: %v, want a refusal with Centaman's message", err)
	}
	if b.sim.Bookings() != 0 {
		t.Fatalf("%d bookings recorded, want none", b.sim.Bookings())
	}
}

func TestErrorsAreClassified(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	wrong := newClient(t, b.url, "wrong", 5*time.Second)
	if _, err := wrong.MembershipTypes(ctx); !centaman.IsUnreachable(err) || usher.ErrorCode(err) != usher.EUNAVAILABLE {
		t.Fatalf("wrong password: %v, want unavailable", err)
	}
	if err := wrong.Diagnostics(ctx); err != nil {
		t.Fatalf("diagnostics needs no credentials: %v", err)
	}
	if _, err := b.client.Member(ctx, 1); usher.ErrorCode(err) != usher.ENOTFOUND {
		t.Fatalf("unknown member: %v, want not found", err)
	}
	for _, o := range []simcentaman.Outage{simcentaman.OutageDrop, simcentaman.OutageError} {
		b.sim.SetOutage(o)
		_, err := b.client.TimedTicketTypes(ctx, "2026-05-01", "2026-05-01")
		if !centaman.IsUnreachable(err) || usher.ErrorCode(err) != usher.EUNAVAILABLE {
			t.Fatalf("outage %q: %v, want unreachable", o, err)
		}
	}
	b.sim.SetOutage(simcentaman.OutageNone)
	if _, err := b.client.MembershipTypes(ctx); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
}

func TestTimeoutAfterTheSaleWasRecorded(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	id, adult := dinosaurs(t, b)
	impatient := newClient(t, b.url, "s3cret", 200*time.Millisecond)
	contact, err := b.client.CreateBookingContact(ctx, centaman.Contact{FirstName: "Cy", LastName: "Hall", Email: "cy@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	release := b.sim.Stall("TimedTicketTransaction POST")
	defer release()
	_, err = impatient.CreateTransaction(ctx, sale(id, adult, contact.MemberCode, 1, "pay-3"))
	if !centaman.IsUnreachable(err) {
		t.Fatalf("stalled answer: %v, want unreachable", err)
	}
	if b.sim.Bookings() != 1 {
		t.Fatalf("%d bookings, want the 1 recorded before the answer was lost", b.sim.Bookings())
	}
}

func TestMembersAndMemberships(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	known := b.sim.Members()[0]
	found, err := b.client.MembersByEmail(ctx, known.Email)
	if err != nil || len(found) != 1 || found[0].MemberCode != known.MemberCode || len(found[0].Memberships) == 0 {
		t.Fatalf("by email = %+v, %v", found, err)
	}
	if none, err := b.client.MembersByEmail(ctx, "nobody@example.org"); err != nil || len(none) != 0 {
		t.Fatalf("unknown e-mail = %+v, %v; want none", none, err)
	}
	types, err := b.client.MembershipTypes(ctx)
	if err != nil || len(types) != 4 || types[0].Price() <= 0 {
		t.Fatalf("types = %+v, %v", types, err)
	}
	created, err := b.client.CreateMembers(ctx, []centaman.Member{{FirstName: "Dev", LastName: "Singh", Email: "dev@example.org", IsPrimary: true}})
	if err != nil || len(created) != 1 || created[0].MemberCode == 0 {
		t.Fatalf("created = %+v, %v", created, err)
	}
	code := created[0].MemberCode
	ms, err := b.client.CreateMemberships(ctx, true, []centaman.Membership{{MemberCode: code, TypeCode: types[0].MembershipCode,
		Cost: 95, Paid: 95, JoinDate: "2026-05-01", ExpiryDate: "2027-05-01", PaymentGatewayReference: "pay-m"}})
	if err != nil || len(ms) != 1 || ms[0].Linkfield == "" || !ms[0].CurrentAt(day0) {
		t.Fatalf("memberships = %+v, %v; want one current", ms, err)
	}
	cancelled := ms[0]
	cancelled.Cancelled = true
	if err := b.client.UpdateMembership(ctx, ms[0].Linkfield, cancelled); err != nil {
		t.Fatal(err)
	}
	again, err := b.client.Member(ctx, code)
	if err != nil || len(again) != 1 || !again[0].Memberships[0].Cancelled || again[0].Memberships[0].CurrentAt(day0) {
		t.Fatalf("member after cancel = %+v, %v; want the membership cancelled", again, err)
	}
}
