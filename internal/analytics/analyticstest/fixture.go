// Package analyticstest holds a small, fixed venue in the reference S-360
// shapes (testdata/s360): six orders, twelve ticket checks and four
// contacts, chosen so that every report figure can be computed by hand.
// The conformance suite, the API, CLI and dashboard tests all use it, and
// the expected figures are written out next to each test.
//
// The venue, in short (days are February 2023, wall clock):
//
//	orders   O1 09th sale   Permanent Collection: ADULT 20.00 (m101), CHILD 10.00 (m102)
//	         O2 09th sale   Permanent Collection: ADULT MEMBER 15.00 (m201);
//	                        Dinosaurs: 2 × ADULT MEMBER 12.00 (m202, m203)
//	         O3 10th refund Permanent Collection: CHILD -10.00 (m301, REFUND)
//	         O4 10th abandoned Dinosaurs: 2 × 12.00 (m401, m402)
//	         O5 13th reservation Dinosaurs: 12.00 (m501)
//	         O6 14th sale   Dinosaurs: 3 × 12.00, no movements (OPERATIONS granularity)
//	checks   09th 09:05 IN OK m101 North, 09:06 IN OK m102 North,
//	              09:30 IN FAIL m101 North (NO_MORE_ENTRY_ALLOWED_TODAY),
//	              11:10 IN OK m201 South, 11:12 IN OK m202 South,
//	              11:20 IN OK m999 South (no such movement),
//	              11:45 IN FAIL m0 South (INVALID_BARCODE),
//	              12:30 OUT OK m101 North, 16:00 OUT OK m102 North
//	         10th 10:00 IN OK m203, 10:05 IN FAIL m203 (ALREADY_USED)
//	         14th 16:30 IN OK m601 (no such movement)
//	contacts K1 person created 09th, updated 10th; K2 company created 09th;
//	         K3 person created 13th, updated twice on the 14th;
//	         K4 person created 2022-11-01, first received in February
package analyticstest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
)

// Institution is the fixture venue's code.
const Institution = "myvenue"

// Zone is the fixture venue's time zone.
var Zone = time.FixedZone("CET", 3600)

// Now is the fixture's clock: the evening of the busiest day.
var Now = time.Date(2023, 2, 9, 17, 0, 0, 0, Zone)

// Day returns a February 2023 date as a report bound.
func Day(d int) time.Time { return time.Date(2023, 2, d, 0, 0, 0, 0, time.UTC) }

// Movement is one movement of a fixture order.
type Movement struct {
	ID       int64
	Type     string
	Amount   int64
	Audience string
	Category string
}

// Operation is one operation (product line) of a fixture order.
type Operation struct {
	Product   string
	Event     string
	Quantity  int
	UnitPrice int64
	Movements []Movement
}

// Order builds an order document in the order webhook's shape.
func Order(t testing.TB, inst string, id int64, state, typ, created string, ops ...Operation) usher.Document {
	t.Helper()
	var opDatas []map[string]any
	for i, op := range ops {
		var mvs []map[string]any
		for _, m := range op.Movements {
			mvs = append(mvs, map[string]any{
				"movementId": m.ID, "movementType": m.Type, "amount": m.Amount,
				"audienceSubCategory": m.Audience, "mainCategory": m.Category,
				"ticketDatas": []map[string]any{{"ticketId": m.ID*10 + 1, "barcode": fmt.Sprintf("%024d", m.ID), "ticketState": "VALID"}},
			})
		}
		d := map[string]any{
			"operationId": id*100 + int64(i), "kind": "SINGLE_ENTRY", "quantity": op.Quantity,
			"basePrice": op.UnitPrice, "unitPrice": op.UnitPrice, "product": op.Product, "performance": op.Event,
		}
		if mvs != nil {
			d["movementDatas"] = mvs
		}
		opDatas = append(opDatas, d)
	}
	body := map[string]any{"orderDetailsData": map[string]any{
		"orderId": id, "orderState": state, "orderType": typ, "creationDateTime": created,
		"closingDateTime": created, "currencyCode": "CHF", "operationDatas": opDatas,
	}}
	at := mustTime(t, time.RFC3339Nano, created)
	return build(t, inst, usher.StreamOrders, strconv.FormatInt(id, 10), body, &at)
}

// Check builds a ticket check as the data-export webhook sends it; gate is
// omitted from the document when empty.
func Check(t testing.TB, inst string, id, movement int64, at, flow, result, reason, gate string) usher.Document {
	t.Helper()
	fields := map[string]any{
		"ticket_check_id": id, "movement_id": movement, "ticket_id": movement*10 + 1,
		"barcode": fmt.Sprintf("%024d", movement), "access_time": at,
		"check_flow": flow, "result": result, "failure_reason": reason,
	}
	if gate != "" {
		fields["gate"] = gate
	}
	accessed := mustTime(t, "2006-01-02 15:04:05", at)
	d := build(t, inst, usher.StreamTicketChecks, strconv.FormatInt(id, 10), fields, &accessed)
	d.Check = &usher.TicketCheck{TicketCheckID: id, MovementID: movement, TicketID: movement*10 + 1,
		Barcode: fmt.Sprintf("%024d", movement), AccessTime: accessed, CheckFlow: flow, Result: result, FailureReason: reason}
	return d
}

// Contact builds one version of a contact; company contacts are S-360
// STRUCTURE contacts.
func Contact(t testing.TB, inst, number string, company bool, created, updated string) usher.Document {
	t.Helper()
	body := map[string]any{"contactNumber": number, "creationDate": created, "lastUpdateDate": updated, "role": "PUBLIC"}
	if company {
		body["type"] = "STRUCTURE"
		body["structureContact"] = map[string]any{"name": "Universal Exports Ltd " + number}
	} else {
		body["type"] = "INDIVIDUAL"
		body["individualContact"] = map[string]any{"firstName": "Ann", "lastName": "Number " + number}
	}
	at := mustTime(t, time.RFC3339Nano, updated)
	return build(t, inst, usher.StreamContacts, number, body, &at)
}

// Orders returns the fixture's six orders for inst.
func Orders(t testing.TB, inst string) []usher.Document {
	pc, pcEvent := "Permanent Collection", "Permanent Collection 09.02.2023"
	return []usher.Document{
		Order(t, inst, 10000000001, "CLOSED", "SALE", "2023-02-09T09:15:00.000+01:00",
			Operation{pc, pcEvent, 2, 20000, []Movement{{101, "SALE", 20000, "ADULT", "OCCASIONAL"}, {102, "SALE", 10000, "CHILD", "OCCASIONAL"}}}),
		Order(t, inst, 10000000002, "CLOSED", "SALE", "2023-02-09T11:00:00.000+01:00",
			Operation{pc, pcEvent, 1, 15000, []Movement{{201, "SALE", 15000, "ADULT", "MEMBER"}}},
			Operation{"Dinosaurs", "Dinosaurs 10.02.2023", 2, 12000, []Movement{{202, "SALE", 12000, "ADULT", "MEMBER"}, {203, "SALE", 12000, "ADULT", "MEMBER"}}}),
		Order(t, inst, 10000000003, "CLOSED", "REFUND", "2023-02-10T10:00:00.000+01:00",
			Operation{pc, pcEvent, 1, 10000, []Movement{{301, "REFUND", -10000, "CHILD", "OCCASIONAL"}}}),
		Order(t, inst, 10000000004, "ABANDONNED", "SALE", "2023-02-10T12:00:00.000+01:00",
			Operation{"Dinosaurs", "Dinosaurs 10.02.2023", 2, 12000, []Movement{{401, "SALE", 12000, "ADULT", "OCCASIONAL"}, {402, "SALE", 12000, "ADULT", "OCCASIONAL"}}}),
		Order(t, inst, 10000000005, "CLOSED", "RESERVATION", "2023-02-13T10:00:00.000+01:00",
			Operation{"Dinosaurs", "Dinosaurs 14.02.2023", 1, 12000, []Movement{{501, "SALE", 12000, "ADULT", "OCCASIONAL"}}}),
		Order(t, inst, 10000000006, "CLOSED", "SALE", "2023-02-14T16:00:00.000+01:00",
			Operation{"Dinosaurs", "Dinosaurs 14.02.2023", 3, 12000, nil}),
	}
}

// Checks returns the fixture's twelve ticket checks for inst.
func Checks(t testing.TB, inst string) []usher.Document {
	return []usher.Document{
		Check(t, inst, 1, 101, "2023-02-09 09:05:00", "IN", "OK", "NO_FAIL", "North"),
		Check(t, inst, 2, 102, "2023-02-09 09:06:00", "IN", "OK", "NO_FAIL", "North"),
		Check(t, inst, 3, 101, "2023-02-09 09:30:00", "IN", "FAIL", "NO_MORE_ENTRY_ALLOWED_TODAY", "North"),
		Check(t, inst, 4, 201, "2023-02-09 11:10:00", "IN", "OK", "NO_FAIL", "South"),
		Check(t, inst, 5, 202, "2023-02-09 11:12:00", "IN", "OK", "NO_FAIL", "South"),
		Check(t, inst, 6, 999, "2023-02-09 11:20:00", "IN", "OK", "NO_FAIL", "South"),
		Check(t, inst, 7, 0, "2023-02-09 11:45:00", "IN", "FAIL", "INVALID_BARCODE", "South"),
		Check(t, inst, 8, 101, "2023-02-09 12:30:00", "OUT", "OK", "NO_FAIL", "North"),
		Check(t, inst, 9, 102, "2023-02-09 16:00:00", "OUT", "OK", "NO_FAIL", "North"),
		Check(t, inst, 10, 203, "2023-02-10 10:00:00", "IN", "OK", "NO_FAIL", ""),
		Check(t, inst, 11, 203, "2023-02-10 10:05:00", "IN", "FAIL", "ALREADY_USED", ""),
		Check(t, inst, 12, 601, "2023-02-14 16:30:00", "IN", "OK", "NO_FAIL", ""),
	}
}

// Contacts returns the fixture's contact versions for inst, oldest first.
func Contacts(t testing.TB, inst string) []usher.Document {
	return []usher.Document{
		Contact(t, inst, "K1", false, "2023-02-09T08:00:00.000+01:00", "2023-02-09T08:00:00.000+01:00"),
		Contact(t, inst, "K2", true, "2023-02-09T10:00:00.000+01:00", "2023-02-09T10:00:00.000+01:00"),
		Contact(t, inst, "K1", false, "2023-02-09T08:00:00.000+01:00", "2023-02-10T09:00:00.000+01:00"),
		Contact(t, inst, "K3", false, "2023-02-13T09:00:00.000+01:00", "2023-02-13T09:00:00.000+01:00"),
		Contact(t, inst, "K3", false, "2023-02-13T09:00:00.000+01:00", "2023-02-14T09:00:00.000+01:00"),
		Contact(t, inst, "K3", false, "2023-02-13T09:00:00.000+01:00", "2023-02-14T15:00:00.000+01:00"),
		Contact(t, inst, "K4", false, "2022-11-01T12:00:00.000+01:00", "2023-02-10T12:00:00.000+01:00"),
	}
}

// All returns every fixture document for inst: contacts, orders, checks.
func All(t testing.TB, inst string) []usher.Document {
	var all []usher.Document
	all = append(all, Contacts(t, inst)...)
	all = append(all, Orders(t, inst)...)
	return append(all, Checks(t, inst)...)
}

func build(t testing.TB, inst string, stream usher.Stream, id string, body any, updated *time.Time) usher.Document {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	h, err := usher.HashJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	return usher.Document{Institution: inst, Stream: stream, ExternalID: id, Hash: h, Raw: raw, UpstreamUpdatedAt: updated}
}

func mustTime(t testing.TB, layout, s string) time.Time {
	t.Helper()
	at, err := time.Parse(layout, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// Save stores docs in st and applies them to the report projections, as
// the server's projector does shortly after each push.
func Save(t testing.TB, st usher.Store, docs []usher.Document) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.SaveDocuments(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if err := analytics.CatchUp(ctx, st, 1000, 10_000); err != nil {
		t.Fatal(err)
	}
}
