package site

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/upstream/centaman"
)

// buyer is who a checkout is booked under: a signed-in member (code not
// 0), at the member's cost rate when the family's membership is current,
// or an anonymous visitor (a new booking contact).
type buyer struct {
	code int64
	rate int64
	name string
}

// buyer resolves the member session of a checkout, if any. The member's
// cost rate comes from Centaman's contact lookup; none found means public
// prices, not a refusal.
func (s *Service) buyer(ctx context.Context, v *venue, token string) (buyer, error) {
	if token == "" {
		return buyer{}, nil
	}
	sess, err := s.session(ctx, v.Code, token)
	if err != nil {
		return buyer{}, err
	}
	m, current, err := s.memberWithRights(ctx, v, sess.MemberCode, "checking out")
	if err != nil {
		return buyer{}, err
	}
	b := buyer{code: m.MemberCode, name: strings.TrimSpace(m.FirstName + " " + m.LastName)}
	if !current {
		return b, nil
	}
	cr, err := v.Client.ContactCostRate(ctx, m.FirstName, m.LastName, m.Email)
	if usher.ErrorCode(err) == usher.ENOTFOUND {
		s.logger.WarnContext(ctx, "member has no cost rate in Centaman: public prices", "institution", v.Code, "member", m.MemberCode)
		return b, nil
	}
	if err = s.upstreamErr(ctx, v, err, "checking out"); err != nil {
		return buyer{}, err
	}
	b.rate = cr.ContactCostRateID
	return b, nil
}

// order is what one checkout sells, priced and ready to send.
type order struct {
	hold    *usher.Hold
	session centaman.TimedTicketType
	prices  []centaman.TimedTicket
	tx      *centaman.Transaction
	general []centaman.GeneralSale
}

// sell does the work of a claimed checkout. Every sale is sent once: the
// checkout is marked unknown (and its hold uncertain) before each sale is
// sent, so a lost answer or a crash leaves a record the venue settles,
// never a second sale.
func (s *Service) sell(ctx context.Context, v *venue, c usher.Checkout, req CheckoutRequest, b buyer) (CheckoutResult, error) {
	var o order
	if req.HoldID != "" {
		unlock, err := s.lockHold(ctx, v, req, &o)
		if err != nil {
			return CheckoutResult{}, err
		}
		defer unlock()
	}
	if err := s.price(ctx, v, req, b, &o); err != nil {
		return CheckoutResult{}, err
	}
	contactID, name := b.code, b.name
	if contactID == 0 {
		contact, err := v.Client.CreateBookingContact(ctx, centaman.Contact{FirstName: req.Contact.FirstName, LastName: req.Contact.LastName, Email: req.Contact.Email})
		if err = s.upstreamErr(ctx, v, err, "checking out"); err != nil {
			return CheckoutResult{}, err
		}
		contactID, name = contact.MemberCode, strings.TrimSpace(req.Contact.FirstName+" "+req.Contact.LastName)
	}
	res := CheckoutResult{CheckoutID: c.ID, State: StateBooked, PaymentReference: req.PaymentReference, Contact: req.Contact,
		Tickets: []SoldTicket{}, Extras: []SoldExtra{}, General: []SoldTicket{}}
	if b.code != 0 {
		res.Member = &b.code
	}
	if o.tx != nil {
		o.tx.BookingContactID, o.tx.BookingContactName = contactID, name
		if err := s.markSending(ctx, c, o.hold, res); err != nil {
			return CheckoutResult{}, err
		}
		bookings, err := v.Client.CreateTransaction(ctx, *o.tx)
		if err != nil {
			return s.saleFailed(ctx, v, c, o.hold, res, err, "POST ticket_services/TimedTicketTransaction")
		}
		if len(bookings) != 1 {
			return s.lost(ctx, v, c, res, fmt.Errorf("centaman answered %d bookings for one transaction", len(bookings)), "POST ticket_services/TimedTicketTransaction")
		}
		s.observe(ctx, v, nil)
		addBooking(&res, o, bookings[0], req.Extras)
		s.copyBooking(ctx, v, bookings[0])
	}
	if len(o.general) > 0 {
		for i := range o.general {
			o.general[i].UserID = contactID
		}
		if err := s.markSending(ctx, c, nil, res); err != nil {
			if o.tx != nil {
				return CheckoutResult{}, &saleSentError{err}
			}
			return CheckoutResult{}, err
		}
		sold, err := v.Client.SellGeneral(ctx, o.general)
		if err != nil {
			if o.tx != nil {
				// The timed part is sold: a refusal of the rest is not a
				// refusal of the checkout, and the venue must look at it.
				return s.lost(ctx, v, c, res, err, "POST ticket_services/Ticket")
			}
			return s.saleFailed(ctx, v, c, nil, res, err, "POST ticket_services/Ticket")
		}
		s.observe(ctx, v, nil)
		addGeneral(&res, o.general, sold)
	}
	s.metrics.Checkout(v.Code, "sold")
	res, err := s.completeSale(ctx, v, c, o.hold, res)
	if err != nil {
		return res, &saleSentError{err}
	}
	return res, nil
}

// lockHold takes the visitor's hold for the sale: one sale at a time per
// visitor and session (two checkout ids for one hold must not both sell),
// and no hold change during it; the hold is read again under the lock.
func (s *Service) lockHold(ctx context.Context, v *venue, req CheckoutRequest, o *order) (func(), error) {
	hold, err := s.visitorHold(ctx, v.Code, req.HoldID, req.Visitor)
	if err != nil {
		return nil, err
	}
	unlock := v.holdLocks.lock(fmt.Sprintf("%s/%d", hold.Visitor, hold.EventID))
	if hold, err = s.visitorHold(ctx, v.Code, req.HoldID, req.Visitor); err == nil {
		err = s.checkHoldForSale(hold)
	}
	if err != nil {
		unlock()
		return nil, err
	}
	o.hold = &hold
	return unlock, nil
}

func (s *Service) checkHoldForSale(h usher.Hold) error {
	switch {
	case h.Status == usher.HoldSold:
		return usher.Errorf(usher.ECONFLICT, "this hold was already sold by another checkout")
	case h.Status == usher.HoldUncertain:
		return usher.Errorf(usher.ECONFLICT, "this hold's sale is being confirmed with the venue: it cannot be sold again")
	case h.Status != usher.HoldActive || !s.now().Before(h.ExpiresAt):
		return usher.Errorf(usher.ECONFLICT, "your hold expired at %s: place a new hold", h.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// price reads what the order sells and builds the calls. Public timed
// prices come from the copy; member prices, extras and general-entry
// tickets are read from Centaman now.
func (s *Service) price(ctx context.Context, v *venue, req CheckoutRequest, b buyer, o *order) error {
	now := s.now().UTC().Format("2006-01-02T15:04:05")
	if o.hold != nil {
		session, prices, err := s.sessionFromCopy(ctx, v.Code, o.hold.EventID)
		if err != nil {
			return err
		}
		if b.rate > 0 {
			prices, err = v.Client.TimedTicketsAt(ctx, o.hold.EventID, b.rate)
			if err = s.upstreamErr(ctx, v, err, "reading member prices"); err != nil {
				return err
			}
		}
		var extras []centaman.Extra
		if len(req.Extras) > 0 {
			extras, err = v.Client.Extras(ctx, o.hold.EventID, b.rate)
			if err = s.upstreamErr(ctx, v, err, "reading extras"); err != nil {
				return err
			}
		}
		o.session, o.prices = session, prices
		tx, err := buildTransaction(*o.hold, session, prices, extras, req, now)
		if err != nil {
			return err
		}
		o.tx = &tx
	}
	if len(req.General) > 0 {
		tickets, err := v.Client.GeneralTickets(ctx)
		if err = s.upstreamErr(ctx, v, err, "reading general-entry tickets"); err != nil {
			return err
		}
		o.general, err = buildGeneral(tickets, req, now)
		return err
	}
	return nil
}

// buildTransaction prices a hold and its extras. Centaman prices include
// tax when IsTaxInclusive; item costs are sent without it, with the unit
// tax apart, as its transaction format asks. Extras are items with
// IsExtraItem; TotalTickets counts admissions only.
func buildTransaction(h usher.Hold, t centaman.TimedTicketType, prices []centaman.TimedTicket, extras []centaman.Extra, req CheckoutRequest, now string) (centaman.Transaction, error) {
	tx := centaman.Transaction{TimedTicketTypeID: t.TimedTicketTypeID, TimedTicketTypeDescription: t.TimedTicketTypeDescription,
		BookingTypeID: t.BookingTypeID, StartDate: t.Date(), StartTime: t.StartTime, EndTime: t.EndTime,
		PaymentReference: req.PaymentReference, TransactionDate: now}
	var total, tax centaman.Cents
	add := func(desc string, code int64, qty int, price centaman.Amount, taxPercent float64, inclusive, extra bool) {
		unit, unitTax := price.Cents(), centaman.Cents(0)
		if inclusive {
			unitTax = unit.TaxIn(taxPercent)
		}
		tx.Item = append(tx.Item, centaman.Item{ItemDescription: desc, ItemCode: code, Quantity: qty, IsExtraItem: extra,
			TaxPaid: unitTax.Amount(), ItemCost: (unit - unitTax).Amount(), TotalPaid: unit.Times(qty).Amount()})
		total += unit.Times(qty)
		tax += unitTax.Times(qty)
	}
	for _, l := range h.Lines {
		p := findPrice(prices, l.TicketID)
		if p == nil {
			return tx, usher.Errorf(usher.ECONFLICT, "ticket %d is no longer sold for this session", l.TicketID)
		}
		add(p.TicketDescription, l.TicketID, l.Quantity, p.TicketPrice, p.TaxPercentage, p.IsTaxInclusive, false)
		tx.TotalTickets += l.Quantity
	}
	for _, l := range req.Extras {
		e := findExtra(extras, l.ID)
		if e == nil {
			return tx, usher.Errorf(usher.EINVALID, "extra %d is not sold with this session: see GET …/events/%d/offer", l.ID, h.EventID)
		}
		add(e.ExtraDescription, e.ExtraID, l.Quantity, e.ExtraPrice, e.TaxPercentage, e.IsTaxInclusive, true)
	}
	tx.TotalPaid, tx.TaxPaid, tx.BookingCost = total.Amount(), tax.Amount(), (total - tax).Amount()
	return tx, nil
}

func findExtra(extras []centaman.Extra, id int64) *centaman.Extra {
	for i := range extras {
		if extras[i].ExtraID == id {
			return &extras[i]
		}
	}
	return nil
}

// buildGeneral prices general-entry lines at the web price. ItemCost is
// the unit price as sold (ASSUMPTION centaman-ga-item-cost: the help page
// names ItemCost and TotalCost without saying whether tax is in them).
func buildGeneral(tickets []centaman.GeneralTicket, req CheckoutRequest, now string) ([]centaman.GeneralSale, error) {
	var out []centaman.GeneralSale
	for _, l := range req.General {
		var g *centaman.GeneralTicket
		for i := range tickets {
			if tickets[i].TicketID == l.ID && tickets[i].Sellable() {
				g = &tickets[i]
			}
		}
		if g == nil {
			return nil, usher.Errorf(usher.EINVALID, "general-entry ticket %d is not sold online: see GET …/general-tickets", l.ID)
		}
		if (g.TicketMinimumQuantity > 0 && l.Quantity < g.TicketMinimumQuantity) || (g.TicketMaximumQuantity > 0 && l.Quantity > g.TicketMaximumQuantity) {
			return nil, usher.Errorf(usher.EINVALID, "%s is sold %d to %d at a time", g.TicketDescription, g.TicketMinimumQuantity, g.TicketMaximumQuantity)
		}
		unit := g.Price().Cents()
		out = append(out, centaman.GeneralSale{ItemDescription: g.TicketDescription, ItemCode: g.TicketID, Quantity: l.Quantity,
			PaymentReference: req.PaymentReference, ItemCost: unit.Amount(), TotalCost: unit.Times(l.Quantity).Amount(),
			DepartmentID: g.DepartmentID, TransactionDate: now})
	}
	return out, nil
}

// markSending records, before a sale is sent, that its outcome is
// unknown until Centaman answers, and that the hold's spots may be used
// by it: a crash or a lost answer from here on never sells again and
// never releases them.
func (s *Service) markSending(ctx context.Context, c usher.Checkout, h *usher.Hold, partial CheckoutResult) error {
	stored, _ := json.Marshal(partial)
	c.State, c.Result, c.UpdatedAt = usher.CheckoutUnknown, stored, s.now()
	if err := s.store.FinishCheckout(ctx, c); err != nil {
		return err
	}
	if h != nil {
		h.Status, h.UpdatedAt = usher.HoldUncertain, s.now()
		return s.store.UpdateHold(ctx, *h)
	}
	return nil
}

// saleFailed handles an error answer to a sale. A refusal (a 4xx with
// Centaman's message) means nothing was recorded: the hold is the
// visitor's again and the checkout fails. Anything else (no answer, a
// timeout, a 5xx) may hide a recorded sale: it stays unknown.
func (s *Service) saleFailed(ctx context.Context, v *venue, c usher.Checkout, h *usher.Hold, res CheckoutResult, err error, call string) (CheckoutResult, error) {
	if centaman.IsUnreachable(err) {
		return s.lost(ctx, v, c, res, err, call)
	}
	s.observe(ctx, v, nil)
	if h != nil {
		h.Status, h.UpdatedAt = usher.HoldActive, s.now()
		if uerr := s.store.UpdateHold(ctx, *h); uerr != nil {
			return CheckoutResult{}, uerr
		}
	}
	return CheckoutResult{}, err
}

// lost leaves a checkout unknown after its sale's answer was lost: the
// visitor is told the booking is being confirmed, the venue sees it in
// GET …/checkouts?state=unknown and settles it. Whether Centaman itself
// is down is asked of Diagnostics (observe), so one lost answer does not
// sign every member out.
func (s *Service) lost(ctx context.Context, v *venue, c usher.Checkout, res CheckoutResult, cause error, call string) (CheckoutResult, error) {
	s.observe(ctx, v, cause)
	stored, _ := json.Marshal(res)
	c.State, c.Result, c.UpdatedAt = usher.CheckoutUnknown, stored, s.now()
	c.ErrorCode, c.Error = usher.EUNAVAILABLE, "no usable answer to "+call+": "+cause.Error()
	if err := s.store.FinishCheckout(ctx, c); err != nil {
		return CheckoutResult{}, &saleSentError{err} // markSending left it unknown already
	}
	s.metrics.Checkout(v.Code, "unknown")
	s.logger.WarnContext(ctx, "sale sent but its answer was lost: the venue must settle it", "institution", v.Code,
		"checkout", c.ID, "payment_reference", c.PaymentReference, "call", call, "err", cause)
	return confirming(c), nil
}

func addBooking(res *CheckoutResult, o order, b centaman.Booking, extras []ItemLine) {
	t := o.session
	res.Event = &EventSummary{ID: t.TimedTicketTypeID, Name: t.BookingTypeDescription, Date: t.Date(), Start: t.StartTime, End: t.EndTime}
	if b.BookingID != nil {
		res.BookingID = strconv.FormatInt(*b.BookingID, 10)
	}
	if b.ReceiptNo != nil {
		res.ReceiptNo = string(*b.ReceiptNo)
	}
	res.TotalPaid = (res.TotalPaid.Cents() + o.tx.TotalPaid.Cents()).Amount()
	for _, it := range b.Item {
		if it.IsExtraItem || it.Barcode == nil || *it.Barcode == "" {
			continue
		}
		desc, price := it.ItemDescription, (it.TotalPaid.Cents() / centaman.Cents(max(it.Quantity, 1))).Amount()
		if p := findPrice(o.prices, it.ItemCode); p != nil {
			desc = p.TicketDescription
		}
		for range max(it.Quantity, 1) {
			res.Tickets = append(res.Tickets, SoldTicket{Barcode: *it.Barcode, TicketID: it.ItemCode, Description: desc, Price: price})
		}
	}
	for _, it := range o.tx.Item {
		if it.IsExtraItem {
			res.Extras = append(res.Extras, SoldExtra{ExtraID: it.ItemCode, Description: it.ItemDescription, Quantity: it.Quantity, Total: it.TotalPaid})
		}
	}
}

func addGeneral(res *CheckoutResult, lines []centaman.GeneralSale, sold []centaman.SoldGeneralTicket) {
	unit := map[int64]centaman.Amount{}
	for _, l := range lines {
		unit[l.ItemCode] = l.ItemCost
		res.TotalPaid = (res.TotalPaid.Cents() + l.TotalCost.Cents()).Amount()
	}
	for _, t := range sold {
		if t.BarCode == nil || *t.BarCode == "" {
			continue
		}
		for range max(t.Quantity, 1) {
			res.General = append(res.General, SoldTicket{Barcode: *t.BarCode, TicketID: t.TicketID, Description: t.TicketDescription, Price: unit[t.TicketID]})
		}
	}
	if res.ReceiptNo == "" && len(sold) > 0 && sold[0].ReceiptNumber != nil {
		res.ReceiptNo = string(*sold[0].ReceiptNumber)
	}
}

// copyBooking keeps the booking in the copy; the sale stands either way.
func (s *Service) copyBooking(ctx context.Context, v *venue, b centaman.Booking) {
	if b.BookingID == nil {
		return
	}
	d, err := newDocument(v.Code, usher.StreamCentamanBooking, strconv.FormatInt(*b.BookingID, 10), b.Raw)
	if err == nil {
		_, err = s.saveCopy(ctx, []usher.Document{d})
	}
	if err != nil {
		s.logger.ErrorContext(ctx, "sale recorded but its booking was not copied", "institution", v.Code, "booking", *b.BookingID, "err", err)
	}
}

// completeSale marks the hold sold, stores the result for replays,
// re-syncs the session and sends the e-tickets.
func (s *Service) completeSale(ctx context.Context, v *venue, c usher.Checkout, h *usher.Hold, res CheckoutResult) (CheckoutResult, error) {
	if h != nil {
		h.Status, h.UpdatedAt = usher.HoldSold, s.now()
		if err := s.store.UpdateHold(ctx, *h); err != nil {
			return res, err
		}
	}
	stored, _ := json.Marshal(res)
	c.State, c.BookingID, c.Result, c.UpdatedAt = usher.CheckoutDone, res.BookingID, stored, s.now()
	c.ErrorCode, c.Error = "", ""
	if err := s.store.FinishCheckout(ctx, c); err != nil {
		return res, err
	}
	if h != nil {
		s.resyncAfter(ctx, v, h.EventID, h.EventDate)
	}
	res.Email = s.sendTickets(ctx, v, c, res)
	return res, nil
}
