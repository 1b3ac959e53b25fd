package s360_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/usher-hub/usher/internal/upstream/s360"
)

// The tests named TestAssumption… pin the S-360 behaviours usher relies on
// where S-360's public documentation is silent (docs/upstreams.md lists
// them). They run the client against the stand-in, so they state the
// assumption in code: when S-360 is seen to differ, the stand-in and the
// test change together, and the client with them.

// TestAssumptionSaveIndividualContactDataUpdatesTheFieldsGiven: the
// method's parameters are not published; usher sends {"contactData": {…,
// "contactNumber"}} and expects only the fields given to change, so an
// update sent twice leaves the contact as once.
func TestAssumptionSaveIndividualContactDataUpdatesTheFieldsGiven(t *testing.T) {
	b := setup(t, options{})
	ctx := context.Background()
	created, err := b.client.CreateCulturalContact(ctx, []s360.CulturalContact{{Email: "ann@example.org", FirstName: "Ann", LastName: "Lee", Identifier: 1}})
	if err != nil {
		t.Fatal(err)
	}
	update := json.RawMessage(`{"contactNumber":"` + created[1] + `","cellPhoneNumber":"+41 79 000 00 00"}`)
	for range 2 {
		if _, err := b.client.SaveIndividualContactData(ctx, update); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := b.sim.Contact("MYVENUE", created[1])
	if c["cellPhoneNumber"] != "+41 79 000 00 00" || c["email"] != "ann@example.org" || b.sim.ContactCount("MYVENUE") != 1 {
		t.Fatalf("contact %v: want the phone changed, the rest kept, one contact", c)
	}
}

// TestAssumptionSearchContactByEmailAndNames: searchContact is documented
// (a search by e-mail; several contacts may share one), its parameters
// are not: usher sends {email, firstName, lastName} and reads
// {"contacts": [{contactNumber, …}]}. The identifier is not returned
// unless the stand-in's ReturnIdentifier switch is on.
func TestAssumptionSearchContactByEmailAndNames(t *testing.T) {
	b := setup(t, options{})
	ctx := context.Background()
	if _, err := b.client.CreateCulturalContact(ctx, []s360.CulturalContact{
		{Email: "fam@example.org", FirstName: "Ann", LastName: "Lee", Identifier: 1},
		{Email: "fam@example.org", FirstName: "Bo", LastName: "Lee", Identifier: 2},
	}); err != nil {
		t.Fatal(err)
	}
	all, err := b.client.SearchContact(ctx, s360.SearchCriteria{Email: "fam@example.org"})
	if err != nil || len(all) != 2 {
		t.Fatalf("by e-mail: %+v, %v; want both contacts sharing it", all, err)
	}
	one, err := b.client.SearchContact(ctx, s360.SearchCriteria{Email: "fam@example.org", FirstName: "Bo", LastName: "Lee"})
	if err != nil || len(one) != 1 || one[0].Identifier != "" {
		t.Fatalf("by e-mail and names: %+v, %v; want one contact, without the undocumented identifier", one, err)
	}
}

// TestAssumptionOrderFoundByExternalReference: the reference usher puts in
// createOrUpdateOrder's externalReference is found again through
// externalOrderService.getExternalReference (kind ORDER); the method is
// named in S-360's documentation, its parameters are not.
func TestAssumptionOrderFoundByExternalReference(t *testing.T) {
	b := setup(t, options{})
	ctx := context.Background()
	created, _ := b.client.CreateCulturalContact(ctx, []s360.CulturalContact{{Email: "a@example.org", Identifier: 1}})
	order, err := b.client.CreateOrUpdateOrder(ctx, 7, s360.Booking{ContactNumber: created[1], OrderType: s360.OrderOption,
		ExternalReference: "usher:t1", Operations: []s360.BookingOperation{{ProductCode: "P", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	found, ok, err := b.client.FindOrderByReference(ctx, "usher:t1")
	if err != nil || !ok || found.OrderID != order.OrderID {
		t.Fatalf("lookup = %+v %v %v, want order %s", found, ok, err, order.OrderID)
	}
}

// TestAssumptionCloseOrderClosesASaleOnce: the documented sale flow ends
// by closing the order through externalOrderService; the readable pages
// do not show the method's name. usher calls closeOrder {orderId}, and
// closing a closed order changes nothing ("all methods are transactional
// and idempotent"), so a close whose answer was lost is sent again.
func TestAssumptionCloseOrderClosesASaleOnce(t *testing.T) {
	b := setup(t, options{})
	ctx := context.Background()
	created, _ := b.client.CreateCulturalContact(ctx, []s360.CulturalContact{{Email: "a@example.org", Identifier: 1}})
	order, err := b.client.CreateOrUpdateOrder(ctx, 7, s360.Booking{ContactNumber: created[1], OrderType: s360.OrderSale,
		Operations: []s360.BookingOperation{{ProductCode: "P", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		closed, err := b.client.CloseOrder(ctx, order.OrderID)
		if err != nil || closed.OrderState != "CLOSED" {
			t.Fatalf("close = %+v, %v", closed, err)
		}
	}
	if n := len(b.sim.Orders("MYVENUE")); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
}
