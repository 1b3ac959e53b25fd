package s360

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/usher-hub/usher"
)

// decoded holds a generated venue's documents by kind.
type decoded struct {
	contacts []contactDoc
	orders   []orderDoc
	orderAt  map[int64]time.Time // movement id → when its order was pushed
	tickets  map[int64]ticketData
	checks   []checkDoc
}

func decodeAll(t *testing.T, events []Event) decoded {
	t.Helper()
	d := decoded{orderAt: map[int64]time.Time{}, tickets: map[int64]ticketData{}}
	for _, e := range events {
		switch e.Stream {
		case usher.StreamContacts:
			var c contactDoc
			mustDecode(t, e.Raw, &c)
			d.contacts = append(d.contacts, c)
		case usher.StreamOrders:
			var env orderEnvelope
			mustDecode(t, e.Raw, &env)
			d.orders = append(d.orders, env.OrderDetailsData)
			for _, op := range env.OrderDetailsData.OperationDatas {
				for _, m := range op.MovementDatas {
					d.orderAt[m.MovementID] = e.At
					d.tickets[m.MovementID] = m.TicketDatas[0]
				}
			}
		case usher.StreamTicketChecks:
			var c checkDoc
			mustDecode(t, e.Raw, &c)
			d.checks = append(d.checks, c)
		}
	}
	return d
}

func mustDecode(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

func TestVenueHasRealisticVariety(t *testing.T) {
	d := decodeAll(t, generate(t, 3, 14))
	seen := map[string]bool{}
	for _, c := range d.contacts {
		seen["contact "+c.Type] = true
		seen["role "+c.Role] = true
	}
	for _, o := range d.orders {
		seen["order "+o.OrderType] = true
		seen["state "+o.OrderState] = true
		seen["channel "+o.SalesChannel] = true
	}
	for _, c := range d.checks {
		seen[c.CheckFlow+" "+c.Result+" "+c.FailureReason] = true
	}
	for _, want := range []string{
		"contact INDIVIDUAL", "contact STRUCTURE", "role PUBLIC", "role MEMBER",
		"order SALE", "order REFUND", "order OPTION", "order RESERVATION", "state CLOSED", "state ABANDONNED",
		"channel B2C", "channel BO", "channel B2B",
		"IN OK NO_FAIL", "OUT OK NO_FAIL", "IN FAIL NO_MORE_ENTRY_ALLOWED_TODAY", "IN FAIL ALREADY_SCANNED", "IN FAIL TICKET_CANCELLED",
	} {
		if !seen[want] {
			t.Errorf("two weeks of the venue have no %s", want)
		}
	}
}

func TestOrderAmountsAreInThousandthsAndAddUp(t *testing.T) {
	for _, o := range decodeAll(t, generate(t, 4, 10)).orders {
		var total int64
		for _, op := range o.OperationDatas {
			if op.Quantity != len(op.MovementDatas) {
				t.Fatalf("order %d: quantity %d but %d movements", o.OrderID, op.Quantity, len(op.MovementDatas))
			}
			for _, m := range op.MovementDatas {
				total += m.Amount
			}
			if op.UnitPrice%10 != 0 || op.BasePrice < 1000 {
				t.Fatalf("order %d: prices %d/%d are not in thousandths of a franc", o.OrderID, op.BasePrice, op.UnitPrice)
			}
		}
		buckets := o.SaleAmount + o.ReservationAmount + o.OptionAmount
		switch {
		case o.OrderState == "ABANDONNED" && buckets != 0:
			t.Fatalf("abandoned order %d has amounts %d", o.OrderID, buckets)
		case o.OrderState == "CLOSED" && buckets != total:
			t.Fatalf("order %d (%s): amounts %d, movements add up to %d", o.OrderID, o.OrderType, buckets, total)
		case o.OrderType == "REFUND" && total >= 0:
			t.Fatalf("refund %d has a non-negative amount %d", o.OrderID, total)
		}
	}
}

// TestChecksReferenceRealMovementsAndTickets: every check names a movement
// and its ticket from an order pushed before the check happened.
func TestChecksReferenceRealMovementsAndTickets(t *testing.T) {
	events := generate(t, 5, 10)
	d := decodeAll(t, events)
	at := map[int64]time.Time{}
	for _, e := range events {
		if e.Stream == usher.StreamTicketChecks {
			var c checkDoc
			mustDecode(t, e.Raw, &c)
			at[c.TicketCheckID] = e.At
		}
	}
	if len(d.checks) < 100 {
		t.Fatalf("only %d checks in 10 days", len(d.checks))
	}
	for _, c := range d.checks {
		td, ok := d.tickets[c.MovementID]
		if !ok {
			t.Fatalf("check %d: movement %d is in no order", c.TicketCheckID, c.MovementID)
		}
		if td.TicketID != c.TicketID || td.Barcode != c.Barcode {
			t.Fatalf("check %d: ticket %d/%s, movement %d holds %d/%s", c.TicketCheckID, c.TicketID, c.Barcode, c.MovementID, td.TicketID, td.Barcode)
		}
		if d.orderAt[c.MovementID].After(at[c.TicketCheckID]) {
			t.Fatalf("check %d at %s precedes its order (%s)", c.TicketCheckID, at[c.TicketCheckID], d.orderAt[c.MovementID])
		}
	}
}

// TestGateIsBusiestAtOpening: more visitors come in the first hour than in
// any later hour, and nobody is scanned outside opening hours.
func TestGateIsBusiestAtOpening(t *testing.T) {
	perHour := map[int]int{}
	for _, c := range decodeAll(t, generate(t, 6, 14)).checks {
		at, err := time.Parse("2006-01-02 15:04:05", c.AccessTime)
		if err != nil {
			t.Fatalf("access_time %q: %v", c.AccessTime, err)
		}
		if at.Hour() < openingHour || at.Hour() >= closingHour {
			t.Fatalf("check %d at %s, outside opening hours", c.TicketCheckID, c.AccessTime)
		}
		if c.CheckFlow == flowIn {
			perHour[at.Hour()]++
		}
	}
	for h := openingHour + 1; h < closingHour; h++ {
		if perHour[h] >= perHour[openingHour] {
			t.Fatalf("entries per hour %v: %d:00 is as busy as opening time", perHour, h)
		}
	}
}

func TestContactsChangeOverTime(t *testing.T) {
	versions := map[string][]contactDoc{}
	for _, c := range decodeAll(t, generate(t, 2, 7)).contacts {
		versions[c.ContactNumber] = append(versions[c.ContactNumber], c)
	}
	changed := 0
	for number, vs := range versions {
		for i := 1; i < len(vs); i++ {
			if vs[i].LastUpdateDate <= vs[i-1].LastUpdateDate {
				t.Fatalf("contact %s: version %d has lastUpdateDate %s, not after %s", number, i+1, vs[i].LastUpdateDate, vs[i-1].LastUpdateDate)
			}
			if vs[i].CreationDate != vs[0].CreationDate {
				t.Fatalf("contact %s: creationDate changed", number)
			}
		}
		if len(vs) > 1 {
			changed++
		}
	}
	if changed < 10 {
		t.Fatalf("only %d of %d contacts have more than one version in a week", changed, len(versions))
	}
}
