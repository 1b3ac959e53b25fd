package schema_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/schema"
	simcentaman "github.com/usher-hub/usher/internal/sim/centaman"
	"github.com/usher-hub/usher/internal/upstream/centaman"
)

// TestSimulatorDocumentsValidateWithoutDrift asks the Centaman simulator,
// through the real client, for every kind of document the website layer
// copies (sessions, price lists, membership types, members, bookings) and
// checks each against the built-in schema: no violation, and no field the
// schema does not name. The simulator and the schemas describe the same
// upstream; a difference between them is a bug in one of the two.
func TestSimulatorDocumentsValidateWithoutDrift(t *testing.T) {
	ctx := context.Background()
	first := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	sim := simcentaman.New(simcentaman.Options{Username: "usher", Password: "pw", Now: func() time.Time { return first },
		Seed: 7, FirstDay: first, Days: 7})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	client, err := centaman.New(centaman.Config{BaseURL: srv.URL + simcentaman.BasePath, Username: "usher", Password: "pw", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := schema.Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	checkDoc := func(docType string, raw json.RawMessage) {
		t.Helper()
		s, ok := reg.Lookup("museum", docType)
		if !ok {
			t.Fatalf("no built-in schema for %s", docType)
		}
		if vs, unknown := s.Check(raw); len(vs) != 0 || len(unknown) != 0 {
			t.Errorf("%s from the simulator: violations %v, fields the schema does not know %v\n%s", docType, vs, unknown, raw)
		}
		counts[docType]++
	}

	sessions, err := client.TimedTicketTypes(ctx, "2026-05-01", "2026-05-07")
	if err != nil {
		t.Fatal(err)
	}
	for _, ss := range sessions {
		checkDoc(usher.DocCentamanTimedTicketType, ss.Raw)
		raw, _, err := client.TimedTickets(ctx, ss.TimedTicketTypeID)
		if err != nil {
			t.Fatal(err)
		}
		checkDoc(usher.DocCentamanTimedTicket, raw)
	}
	session := sessions[0]
	fresh, err := client.Availability(ctx, session.TimedTicketTypeID, session.Date())
	if err != nil {
		t.Fatal(err)
	}
	checkDoc(usher.DocCentamanTimedTicketType, fresh.Raw)

	types, err := client.MembershipTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, mt := range types {
		checkDoc(usher.DocCentamanMembershipType, mt.Raw)
	}

	for _, raw := range simulatorMembers(t, ctx, sim, client, types[0]) {
		checkDoc(usher.DocCentamanMember, raw)
	}
	for _, raw := range simulatorBookings(t, ctx, client, session) {
		checkDoc(usher.DocCentamanBooking, raw)
	}

	// Each kind was seen: a test that checked nothing would pass too.
	for _, typ := range []string{usher.DocCentamanTimedTicketType, usher.DocCentamanTimedTicket, usher.DocCentamanMembershipType,
		usher.DocCentamanMember, usher.DocCentamanBooking} {
		if counts[typ] == 0 {
			t.Errorf("no %s document was checked", typ)
		}
	}
}

// simulatorMembers returns the generated members, a family created as
// the website layer's join does (a primary and a secondary), and the
// primary again once a membership was bought.
func simulatorMembers(t *testing.T, ctx context.Context, sim *simcentaman.Sim, client *centaman.Client, mt centaman.MembershipType) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	for _, m := range sim.Members() {
		found, err := client.Member(ctx, m.MemberCode)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range found {
			out = append(out, f.Raw)
		}
	}
	created, err := client.CreateMembers(ctx, []centaman.Member{
		{FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.org", IsPrimary: true},
		{FirstName: "Byron", LastName: "Lovelace"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range created {
		out = append(out, c.Raw)
	}
	code := created[0].MemberCode
	if _, err := client.CreateMemberships(ctx, true, []centaman.Membership{{MemberCode: code, TypeCode: mt.MembershipCode,
		Cost: mt.Cost, Paid: mt.Cost, JoinDate: "2026-05-01", ExpiryDate: "2027-05-01", PaymentGatewayReference: "pg-1"}}); err != nil {
		t.Fatal(err)
	}
	byEmail, err := client.MembersByEmail(ctx, "ada@example.org")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range byEmail {
		out = append(out, m.Raw)
	}
	return out
}

// simulatorBookings records a sale shaped as the website layer's checkout
// sends it, and returns the booking as the sale answers it and as the
// payment-reference lookup finds it.
func simulatorBookings(t *testing.T, ctx context.Context, client *centaman.Client, session centaman.TimedTicketType) []json.RawMessage {
	t.Helper()
	_, prices, err := client.TimedTickets(ctx, session.TimedTicketTypeID)
	if err != nil {
		t.Fatal(err)
	}
	contact, err := client.CreateBookingContact(ctx, centaman.Contact{FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	p := prices[0]
	tx := centaman.Transaction{TimedTicketTypeID: session.TimedTicketTypeID, TimedTicketTypeDescription: session.TimedTicketTypeDescription,
		BookingTypeID: session.BookingTypeID, StartDate: session.Date(), StartTime: session.StartTime, EndTime: session.EndTime,
		PaymentReference: "pg-sim-1", TransactionDate: "2026-05-01T08:00:00", BookingContactID: contact.MemberCode,
		BookingContactName: "Ada Lovelace", TotalTickets: 2, TaxPaid: 2 * 1.0, BookingCost: 2 * (p.TicketPrice - 1), TotalPaid: 2 * p.TicketPrice,
		Item: []centaman.Item{{ItemDescription: p.TicketDescription, ItemCode: p.TicketID, Quantity: 2, TaxPaid: 1,
			ItemCost: p.TicketPrice - 1, TotalPaid: 2 * p.TicketPrice}}}
	sold, err := client.CreateTransaction(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	var out []json.RawMessage
	for _, b := range sold {
		out = append(out, b.Raw)
	}
	return out
}
