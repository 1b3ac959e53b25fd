package s360

import (
	"fmt"
	"strconv"
	"time"

	"github.com/usher-hub/usher"
)

// orderEnvelope is the order webhook's payload item: the output of
// getOrderDetails with TICKETS granularity, as in testdata/s360/orders.json.
type orderEnvelope struct {
	OrderDetailsData orderDoc `json:"orderDetailsData"`
}

type orderDoc struct {
	OrderID                     int64           `json:"orderId"`
	OrderState                  string          `json:"orderState"`
	OrderType                   string          `json:"orderType"`
	CreationDateTime            string          `json:"creationDateTime"`
	ClosingDateTime             string          `json:"closingDateTime"`
	ReferenceDate               string          `json:"referenceDate"`
	ExpirationDate              string          `json:"expirationDate"`
	SaleAmount                  int64           `json:"saleAmount"`
	PreSaleAmount               int64           `json:"preSaleAmount"`
	ReservationAmount           int64           `json:"reservationAmount"`
	OptionAmount                int64           `json:"optionAmount"`
	WaitingAccountBalanceAmount int64           `json:"waitingAccountBalanceAmount"`
	CurrencyCode                string          `json:"currencyCode"`
	SalesChannel                string          `json:"salesChannel"`
	ContactNumber               string          `json:"contactNumber"`
	OperationDatas              []operationData `json:"operationDatas"`
}

type operationData struct {
	OperationID   int64          `json:"operationId"`
	Kind          string         `json:"kind"`
	Quantity      int            `json:"quantity"`
	BasePrice     int64          `json:"basePrice"`
	UnitPrice     int64          `json:"unitPrice"`
	ProductID     int64          `json:"productId"`
	Product       string         `json:"product"`
	ProductCode   string         `json:"productCode"`
	ItemID        int64          `json:"itemId"`
	PerformanceID int64          `json:"performanceId"`
	Performance   string         `json:"performance"`
	EventID       int64          `json:"eventId"`
	MovementDatas []movementData `json:"movementDatas"`
}

type movementData struct {
	MovementID          int64        `json:"movementId"`
	MovementType        string       `json:"movementType"`
	Amount              int64        `json:"amount"`
	AudienceSubCategory string       `json:"audienceSubCategory"`
	MainCategory        string       `json:"mainCategory"`
	TicketDatas         []ticketData `json:"ticketDatas"`
}

type ticketData struct {
	TicketID    int64  `json:"ticketId"`
	Barcode     string `json:"barcode"`
	TicketState string `json:"ticketState"`
}

// ticket is an issued ticket the gate may see.
type ticket struct {
	id, movementID int64
	barcode        string
	group          int64     // its order: a party arrives together
	notBefore      time.Time // the sale closed then: nobody scans earlier
	arrival        time.Time // known for box-office sales, zero otherwise
	refunded       bool
}

// line is quantity tickets of one product for one audience: one operation.
type line struct{ product, audience, qty int }

// sale is a closed sale for a later day, which its buyer may still refund.
type sale struct {
	order   orderDoc
	visit   time.Time
	tickets []*ticket
}

// orderSpec says what order to build.
type orderSpec struct {
	orderType, state, channel string
	contact                   *contact
	created, closed, expires  time.Time
	visit                     time.Time // local midnight of the reference day
	lines                     []line
	movementType, ticketState string
}

// webOrder is an online (B2C) order: mostly sales for the coming days, a
// few memberships, and some baskets abandoned before payment.
func (v *Venue) webOrder(at time.Time) {
	c := v.customer(at, false, 0.6)
	if v.chance(0.1) {
		v.membership(c, at)
		return
	}
	spec := orderSpec{orderType: "SALE", state: "CLOSED", channel: "B2C", contact: c, created: at,
		visit: v.visitDay(at, 0, 14), lines: v.party(v.mainProduct(0.1)), movementType: "SALE", ticketState: "VALID"}
	spec.expires = at.Add(23 * time.Minute) // the payment window
	if v.chance(0.08) {
		spec.state, spec.ticketState, spec.closed = "ABANDONNED", "CANCELLED", spec.expires
		v.emitOrder(v.buildOrder(spec))
		return
	}
	spec.closed = at.Add(v.between(time.Minute, 6*time.Minute))
	v.issue(spec, true)
}

// membership sells an annual membership; the contact becomes a member,
// which is a new contact version.
func (v *Venue) membership(c *contact, at time.Time) {
	day := v.dayOf(at)
	spec := orderSpec{orderType: "SALE", state: "CLOSED", channel: "B2C", contact: c, created: at,
		closed: at.Add(v.between(2*time.Minute, 8*time.Minute)), expires: at.Add(23 * time.Minute), visit: day,
		lines: []line{{product: productMembership, audience: 0, qty: 1}}, movementType: "SALE", ticketState: "VALID"}
	v.emitOrder(v.buildOrder(spec))
	if !c.isMember() {
		c.doc.Role = "MEMBER"
		v.touch(c, spec.closed.Add(time.Second))
	}
}

// groupOrder is a company's or school's booking (B2B): a reservation paid
// on the day, or an option that will expire unless confirmed.
func (v *Venue) groupOrder(at time.Time) {
	c := v.customer(at, true, 0.6)
	p := v.mainProduct(0.25)
	lines := []line{{product: p, audience: 0, qty: 8 + v.pick(13)}}
	if v.chance(0.5) { // a school class and its teachers
		lines = []line{{product: p, audience: 1, qty: 10 + v.pick(16)}, {product: p, audience: 0, qty: 2 + v.pick(2)}}
	}
	spec := orderSpec{orderType: "RESERVATION", state: "CLOSED", channel: "B2B", contact: c, created: at,
		closed: at.Add(v.between(3*time.Minute, 20*time.Minute)), visit: v.visitDay(at, 3, 30), lines: lines,
		movementType: "RESERVATION", ticketState: "VALID"}
	spec.expires = spec.visit
	if v.chance(0.35) {
		spec.orderType, spec.movementType, spec.ticketState = "OPTION", "OPTION", "NOT_PRINTED"
		spec.expires = at.AddDate(0, 0, 7)
		v.emitOrder(v.buildOrder(spec))
		return
	}
	v.issue(spec, false)
}

// boxOfficeSale is a walk-in sale at the desk for today; the party goes
// to the gate a few minutes later.
func (v *Venue) boxOfficeSale(at time.Time) {
	c := v.customer(at, false, 0.4)
	spec := orderSpec{orderType: "SALE", state: "CLOSED", channel: "BO", contact: c, created: at,
		closed: at.Add(v.between(time.Minute, 3*time.Minute)), visit: v.dayOf(at),
		lines: v.party(v.mainProduct(0.03)), movementType: "SALE", ticketState: "VALID"}
	spec.expires = spec.closed
	tickets := v.issue(spec, false)
	gate := spec.closed.Add(v.between(time.Minute, 4*time.Minute))
	for _, t := range tickets {
		t.arrival = gate
	}
}

// refund cancels a sale for a later day: a new order of type REFUND with
// negative amounts and the sale's tickets, now cancelled.
func (v *Venue) refund(at time.Time) {
	day := v.dayOf(at)
	var candidates []int
	for i, s := range v.sales {
		if s.visit.After(day) {
			candidates = append(candidates, i)
		}
	}
	if len(candidates) == 0 {
		return
	}
	i := candidates[v.pick(len(candidates))]
	s := v.sales[i]
	v.sales = append(v.sales[:i], v.sales[i+1:]...)
	v.ids.order++
	o := s.order
	o.OrderID, o.OrderType, o.OrderState = v.ids.order, "REFUND", "CLOSED"
	o.CreationDateTime, o.ClosingDateTime = isoTime(at), isoTime(at.Add(v.between(30*time.Second, 3*time.Minute)))
	o.ExpirationDate = o.ClosingDateTime
	o.SaleAmount = -o.SaleAmount
	o.OperationDatas = make([]operationData, len(s.order.OperationDatas))
	for i, op := range s.order.OperationDatas {
		v.ids.operation++
		op.OperationID = v.ids.operation
		op.MovementDatas = make([]movementData, len(s.order.OperationDatas[i].MovementDatas))
		for j, m := range s.order.OperationDatas[i].MovementDatas {
			v.ids.movement++
			m.MovementID, m.MovementType, m.Amount = v.ids.movement, "REFUND", -m.Amount
			m.TicketDatas = []ticketData{{TicketID: m.TicketDatas[0].TicketID, Barcode: m.TicketDatas[0].Barcode, TicketState: "CANCELLED"}}
			op.MovementDatas[j] = m
		}
		o.OperationDatas[i] = op
	}
	for _, t := range s.tickets {
		t.refunded = true
	}
	v.emitOrder(o)
}

// issue builds and pushes a closed order whose tickets are valid on its
// visit day, and returns those tickets.
func (v *Venue) issue(spec orderSpec, refundable bool) []*ticket {
	o := v.buildOrder(spec)
	v.emitOrder(o)
	var tickets []*ticket
	for _, op := range o.OperationDatas {
		for _, m := range op.MovementDatas {
			td := m.TicketDatas[0]
			tickets = append(tickets, &ticket{id: td.TicketID, movementID: m.MovementID, barcode: td.Barcode, group: o.OrderID, notBefore: spec.closed})
		}
	}
	key := dayKey(spec.visit)
	v.tickets[key] = append(v.tickets[key], tickets...)
	if refundable && spec.visit.After(v.dayOf(spec.closed)) {
		v.sales = append(v.sales, &sale{order: o, visit: spec.visit, tickets: tickets})
	}
	return tickets
}

func (v *Venue) emitOrder(o orderDoc) {
	created, _ := time.Parse(time.RFC3339Nano, o.CreationDateTime)
	closed, _ := time.Parse(time.RFC3339Nano, o.ClosingDateTime)
	v.emit(usher.StreamOrders, strconv.FormatInt(o.OrderID, 10), closed, created, orderEnvelope{OrderDetailsData: o})
}

// buildOrder assigns ids and amounts: one operation per line, one
// movement and one ticket per person.
func (v *Venue) buildOrder(spec orderSpec) orderDoc {
	v.ids.order++
	o := orderDoc{
		OrderID: v.ids.order, OrderState: spec.state, OrderType: spec.orderType,
		CreationDateTime: isoTime(spec.created), ClosingDateTime: isoTime(spec.closed),
		ReferenceDate: isoTime(spec.visit), ExpirationDate: isoTime(spec.expires),
		CurrencyCode: v.cfg.Currency, SalesChannel: spec.channel, ContactNumber: spec.contact.doc.ContactNumber,
	}
	var total int64
	for _, l := range spec.lines {
		op := v.operation(spec, l)
		total += int64(l.qty) * op.UnitPrice
		o.OperationDatas = append(o.OperationDatas, op)
	}
	switch {
	case spec.state == "ABANDONNED":
	case spec.orderType == "RESERVATION":
		o.ReservationAmount = total
	case spec.orderType == "OPTION":
		o.OptionAmount = total
	default:
		o.SaleAmount = total
	}
	return o
}

func (v *Venue) operation(spec orderSpec, l line) operationData {
	p, a := products[l.product], audiences[l.audience]
	unit := p.price * a.permille / 1000
	v.ids.operation++
	op := operationData{
		OperationID: v.ids.operation, Kind: p.kind, Quantity: l.qty, BasePrice: p.price, UnitPrice: unit,
		ProductID: p.id, Product: p.name, ProductCode: p.code, ItemID: 10228231110000 + int64(p.catIndex*10+l.audience),
		PerformanceID: 10228232000000 + int64(p.catIndex)*100000 + int64(spec.visit.Sub(epoch2000).Hours()/24),
		Performance:   performanceName(p, spec.visit), EventID: p.eventID,
	}
	category := "OCCASIONAL"
	if spec.contact.isMember() && a.code == "ADULT" {
		category = "MEMBER"
	}
	for range l.qty {
		v.ids.movement++
		v.ids.ticket++
		op.MovementDatas = append(op.MovementDatas, movementData{
			MovementID: v.ids.movement, MovementType: spec.movementType, Amount: unit,
			AudienceSubCategory: a.code, MainCategory: category,
			TicketDatas: []ticketData{{TicketID: v.ids.ticket, Barcode: v.barcode(), TicketState: spec.ticketState}},
		})
	}
	return op
}

var epoch2000 = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func performanceName(p product, visit time.Time) string {
	switch {
	case p.kind == "MEMBERSHIP":
		return fmt.Sprintf("%s %d", p.name, visit.Year())
	case p.timed:
		return fmt.Sprintf("%s %s 14:00", p.name, visit.Format("02.01.2006"))
	default:
		return fmt.Sprintf("%s %s", p.name, visit.Format("02.01.2006"))
	}
}

// party draws who comes together, as lines for product p.
func (v *Venue) party(p int) []line {
	var lines []line
	addLine := func(aud, n int) {
		if n > 0 {
			lines = append(lines, line{product: p, audience: aud, qty: n})
		}
	}
	switch r := v.rng.Float64(); {
	case r < 0.3: // a family
		addLine(0, 1+v.pick(2))
		addLine(1, 1+v.pick(3))
	case r < 0.75: // one or two adults
		addLine(0, 1+v.pick(2))
	case r < 0.9:
		addLine(2, 1+v.pick(2))
	default:
		addLine(3, 1+v.pick(3))
	}
	if p == productPermanent && v.chance(0.2) { // and the temporary exhibition too
		for _, l := range append([]line(nil), lines...) {
			lines = append(lines, line{product: productTemporary, audience: l.audience, qty: l.qty})
		}
	}
	return lines
}

// mainProduct draws what a party comes for; tour is the guided tour's share.
func (v *Venue) mainProduct(tour float64) int {
	switch r := v.rng.Float64(); {
	case r < tour:
		return productGuidedTour
	case r < tour+(1-tour)*0.6:
		return productPermanent
	default:
		return productTemporary
	}
}

// visitDay draws an open day between minDays and maxDays after at's day,
// most of them soon.
func (v *Venue) visitDay(at time.Time, minDays, maxDays int) time.Time {
	u := v.rng.Float64()
	d := v.dayOf(at).AddDate(0, 0, minDays+int(float64(maxDays-minDays+1)*u*u))
	if !v.isOpen(d) {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

func (v *Venue) dayOf(t time.Time) time.Time {
	t = t.In(v.cfg.Location)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, v.cfg.Location)
}

func (v *Venue) barcode() string {
	return fmt.Sprintf("%012d%012d", v.rng.Int64N(1e12), v.rng.Int64N(1e12))
}

// pruneSales forgets sales whose visit day has come: they can no longer
// be refunded.
func (v *Venue) pruneSales(day time.Time) {
	kept := v.sales[:0]
	for _, s := range v.sales {
		if s.visit.After(day) {
			kept = append(kept, s)
		}
	}
	v.sales = kept
}
