package site

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/upstream/centaman"
)

// CheckoutRequest records the sale of a hold. CheckoutID is chosen by the
// website and makes the request idempotent: sending it again, after a
// timeout or a crash, never records a second sale.
type CheckoutRequest struct {
	CheckoutID string `json:"checkout_id"`
	HoldID     string `json:"hold_id"`
	Visitor    string `json:"visitor"`
	// PaymentReference is the payment gateway's reference; Centaman keeps
	// it with the transaction, and usher looks it up to settle a sale
	// whose answer was lost.
	PaymentReference string  `json:"payment_reference"`
	Contact          Contact `json:"contact"`
}

// Contact is who the tickets are for.
type Contact struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
}

func (r CheckoutRequest) check() error {
	switch {
	case r.CheckoutID == "" || len(r.CheckoutID) > 128:
		return usher.Errorf(usher.EINVALID, "checkout_id must be 1 to 128 characters, chosen by the website and reused on retry")
	case r.HoldID == "":
		return usher.Errorf(usher.EINVALID, "hold_id is required: hold tickets first with POST …/holds")
	case r.PaymentReference == "" || len(r.PaymentReference) > 200:
		return usher.Errorf(usher.EINVALID, "payment_reference must be 1 to 200 characters")
	case strings.TrimSpace(r.Contact.LastName) == "":
		return usher.Errorf(usher.EINVALID, "contact.last_name is required")
	}
	if err := checkVisitor(r.Visitor); err != nil {
		return err
	}
	if a, err := mail.ParseAddress(r.Contact.Email); err != nil || a.Address != r.Contact.Email {
		return usher.Errorf(usher.EINVALID, "contact.email must be a plain e-mail address, such as ann@example.org")
	}
	return nil
}

// CheckoutResult is the answer of a checkout, stored and replayed as is.
type CheckoutResult struct {
	CheckoutID string       `json:"checkout_id"`
	BookingID  string       `json:"booking_id"`
	ReceiptNo  string       `json:"receipt_no"`
	Event      EventSummary `json:"event"`
	Tickets    []SoldTicket `json:"tickets"`
	TotalPaid  float64      `json:"total_paid"`
	Contact    Contact      `json:"contact"`
	// Email and Replayed describe this answer, not the sale.
	Email    EmailStatus `json:"email"`
	Replayed bool        `json:"replayed"`
}

// EventSummary names the session of a sale.
type EventSummary struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Date  string `json:"date"`
	Start string `json:"start"`
	End   string `json:"end"`
}

// SoldTicket is one admission with its barcode.
type SoldTicket struct {
	Barcode     string  `json:"barcode"`
	TicketID    int64   `json:"ticket_id"`
	Description string  `json:"description"`
	Price       float64 `json:"price"`
}

// EmailStatus says whether the e-tickets went out.
type EmailStatus struct {
	To string `json:"to"`
	// Status is sent, pending (retried in the background) or disabled.
	Status string `json:"status"`
}

// Checkout records the sale of a visitor's hold in Centaman, once per
// checkout id, and sends the e-tickets. It returns the result and whether
// this request recorded the sale (false for a replay).
func (s *Service) Checkout(ctx context.Context, institution string, req CheckoutRequest) (CheckoutResult, bool, error) {
	v, err := s.venue(institution)
	if err != nil {
		return CheckoutResult{}, false, err
	}
	if err := req.check(); err != nil {
		return CheckoutResult{}, false, err
	}
	body, _ := json.Marshal(req)
	hash, _ := usher.HashJSON(body)
	now := s.now()
	c, claimed, err := s.store.ClaimCheckout(ctx, usher.Checkout{Institution: institution, ID: req.CheckoutID,
		RequestHash: hash, HoldID: req.HoldID, PaymentReference: req.PaymentReference, Email: req.Contact.Email,
		LeaseUntil: now.Add(s.opts.CheckoutLease)}, now)
	if err != nil {
		return CheckoutResult{}, false, err
	}
	if !claimed {
		res, err := s.replay(c, hash)
		if err == nil {
			s.metrics.Checkout(v.Code, "replayed")
		}
		return res, false, err
	}
	res, err := s.sell(ctx, v, c, req)
	if err != nil {
		return res, false, s.settleFailure(ctx, v, c, err)
	}
	return res, true, nil
}

// replay answers a checkout another request already handled (or is
// handling).
func (s *Service) replay(c usher.Checkout, hash string) (CheckoutResult, error) {
	if c.RequestHash != hash {
		return CheckoutResult{}, usher.Errorf(usher.ECONFLICT, "checkout_id %q was already used for a different request: use a new checkout_id for a new sale", c.ID)
	}
	switch c.State {
	case usher.CheckoutDone:
		var res CheckoutResult
		if err := json.Unmarshal(c.Result, &res); err != nil {
			return res, fmt.Errorf("stored checkout %s: %w", c.ID, err)
		}
		res.Replayed, res.Email = true, s.emailStatus(c)
		return res, nil
	case usher.CheckoutFailed:
		return CheckoutResult{}, usher.Errorf(c.ErrorCode, "%s", c.Error)
	default:
		s.metrics.Checkout(c.Institution, "in_progress")
		return CheckoutResult{}, &usher.Error{Code: usher.EUNAVAILABLE, Detail: map[string]string{"checkout_state": string(c.State)},
			Message: fmt.Sprintf("checkout %q is being processed by an earlier request: retry with the same checkout_id shortly", c.ID)}
	}
}

func (s *Service) emailStatus(c usher.Checkout) EmailStatus {
	switch {
	case s.mailer == nil:
		return EmailStatus{To: c.Email, Status: "disabled"}
	case c.EmailSentAt != nil:
		return EmailStatus{To: c.Email, Status: "sent"}
	default:
		return EmailStatus{To: c.Email, Status: "pending"}
	}
}

// sell does the work of a claimed checkout. A retry (Attempts > 1) first
// asks Centaman whether an earlier attempt's sale was recorded.
func (s *Service) sell(ctx context.Context, v *venue, c usher.Checkout, req CheckoutRequest) (CheckoutResult, error) {
	hold, err := s.visitorHold(ctx, v.Code, req.HoldID, req.Visitor)
	if err != nil {
		return CheckoutResult{}, err
	}
	// One sale at a time per visitor and session (two checkout ids for one
	// hold must not both sell), and no hold change during it; the hold is
	// read again under the lock.
	unlock := v.holdLocks.lock(fmt.Sprintf("%s/%d", hold.Visitor, hold.EventID))
	defer unlock()
	if hold, err = s.visitorHold(ctx, v.Code, req.HoldID, req.Visitor); err != nil {
		return CheckoutResult{}, err
	}
	session, prices, err := s.sessionFromCopy(ctx, v.Code, hold.EventID)
	if err != nil {
		return CheckoutResult{}, err
	}
	if c.Attempts > 1 {
		booking, found, err := s.earlierSale(ctx, v, req.PaymentReference, hold.EventID)
		if err != nil {
			return CheckoutResult{}, err
		}
		if found {
			s.metrics.Checkout(v.Code, "reconciled")
			return s.completeSale(ctx, v, c, hold, req, session, prices, booking)
		}
	}
	if err := s.checkHoldForSale(hold); err != nil {
		return CheckoutResult{}, err
	}
	t, err := buildTransaction(hold, session, prices, req, s.now())
	if err != nil {
		return CheckoutResult{}, err
	}
	contact, err := v.Client.CreateBookingContact(ctx, centaman.Contact{FirstName: req.Contact.FirstName, LastName: req.Contact.LastName, Email: req.Contact.Email})
	if err = s.upstreamErr(ctx, v, err, "checking out"); err != nil {
		return CheckoutResult{}, err
	}
	t.BookingContactID, t.BookingContactName = contact.MemberCode, strings.TrimSpace(req.Contact.FirstName+" "+req.Contact.LastName)
	bookings, err := v.Client.CreateTransaction(ctx, t)
	if err = s.upstreamErr(ctx, v, err, "checking out"); err != nil {
		return CheckoutResult{}, err
	}
	if len(bookings) != 1 {
		return CheckoutResult{}, fmt.Errorf("centaman answered %d bookings for one transaction", len(bookings))
	}
	s.metrics.Checkout(v.Code, "sold")
	return s.completeSale(ctx, v, c, hold, req, session, prices, bookings[0])
}

// earlierSale looks for the sale of an earlier attempt by its payment
// reference. If Centaman cannot say, the checkout stays unknown: selling
// again could sell twice.
func (s *Service) earlierSale(ctx context.Context, v *venue, ref string, eventID int64) (centaman.Booking, bool, error) {
	found, err := v.Client.FindTransactions(ctx, ref)
	if usher.ErrorCode(err) == usher.ENOTFOUND {
		s.observe(ctx, v, nil)
		return centaman.Booking{}, false, &usher.Error{Code: usher.EUNAVAILABLE, Err: err, Detail: map[string]string{"checkout_state": "unknown"},
			Message: fmt.Sprintf("an earlier attempt of this checkout may have been recorded, and this Centaman cannot be asked: the venue must check payment reference %q before anything is sold again", ref)}
	}
	if err = s.upstreamErr(ctx, v, err, "confirming an earlier checkout attempt"); err != nil {
		return centaman.Booking{}, false, err
	}
	for _, b := range found {
		if b.TimedTicketTypeID == eventID {
			return b, true, nil
		}
	}
	return centaman.Booking{}, false, nil
}

func (s *Service) checkHoldForSale(h usher.Hold) error {
	switch {
	case h.Status == usher.HoldSold:
		return usher.Errorf(usher.ECONFLICT, "this hold was already sold by another checkout")
	case h.Status != usher.HoldActive || !s.now().Before(h.ExpiresAt):
		return usher.Errorf(usher.ECONFLICT, "your hold expired at %s: place a new hold", h.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// buildTransaction prices a hold from the copy's price list. Centaman
// prices include tax when IsTaxInclusive; item costs are sent without it,
// with the unit tax apart, as its transaction format asks.
func buildTransaction(h usher.Hold, t centaman.TimedTicketType, prices []centaman.TimedTicket, req CheckoutRequest, now time.Time) (centaman.Transaction, error) {
	tx := centaman.Transaction{TimedTicketTypeID: t.TimedTicketTypeID, TimedTicketTypeDescription: t.TimedTicketTypeDescription,
		BookingTypeID: t.BookingTypeID, StartDate: t.Date(), StartTime: t.StartTime, EndTime: t.EndTime,
		PaymentReference: req.PaymentReference, TransactionDate: now.UTC().Format("2006-01-02T15:04:05")}
	var total, tax int64
	for _, l := range h.Lines {
		p := findPrice(prices, l.TicketID)
		if p == nil {
			return tx, usher.Errorf(usher.ECONFLICT, "ticket %d is no longer sold for this session", l.TicketID)
		}
		unit := cents(p.TicketPrice)
		unitTax := int64(0)
		if p.IsTaxInclusive && p.TaxPercentage > 0 {
			unitTax = cents(p.TicketPrice * p.TaxPercentage / (100 + p.TaxPercentage))
		}
		tx.Item = append(tx.Item, centaman.Item{ItemDescription: p.TicketDescription, ItemCode: l.TicketID, Quantity: l.Quantity,
			TaxPaid: units(unitTax), ItemCost: units(unit - unitTax), TotalPaid: units(unit * int64(l.Quantity))})
		tx.TotalTickets += l.Quantity
		total += unit * int64(l.Quantity)
		tax += unitTax * int64(l.Quantity)
	}
	tx.TotalPaid, tx.TaxPaid, tx.BookingCost = units(total), units(tax), units(total-tax)
	return tx, nil
}

// completeSale copies the booking, marks the hold sold, stores the
// result for replays, re-syncs the session and sends the e-tickets.
func (s *Service) completeSale(ctx context.Context, v *venue, c usher.Checkout, h usher.Hold, req CheckoutRequest,
	t centaman.TimedTicketType, prices []centaman.TimedTicket, b centaman.Booking) (CheckoutResult, error) {
	res := resultOf(c.ID, req, t, prices, b)
	if b.BookingID != nil {
		d, err := newDocument(v.Code, usher.StreamCentamanBooking, strconv.FormatInt(*b.BookingID, 10), b.Raw)
		if err == nil {
			_, err = s.saveCopy(ctx, []usher.Document{d})
		}
		if err != nil {
			s.logger.ErrorContext(ctx, "sale recorded but its booking was not copied", "institution", v.Code, "booking", res.BookingID, "err", err)
		}
	}
	h.Status, h.UpdatedAt = usher.HoldSold, s.now()
	if err := s.store.UpdateHold(ctx, h); err != nil {
		return res, err
	}
	stored, _ := json.Marshal(res)
	c.State, c.BookingID, c.Result, c.UpdatedAt = usher.CheckoutDone, res.BookingID, stored, s.now()
	if err := s.store.FinishCheckout(ctx, c); err != nil {
		return res, err
	}
	s.resyncAfter(ctx, v, h.EventID, h.EventDate)
	res.Email = s.sendTickets(ctx, v, c, res)
	return res, nil
}

func resultOf(id string, req CheckoutRequest, t centaman.TimedTicketType, prices []centaman.TimedTicket, b centaman.Booking) CheckoutResult {
	res := CheckoutResult{CheckoutID: id, Contact: req.Contact, TotalPaid: b.TotalPaid,
		Event: EventSummary{ID: t.TimedTicketTypeID, Name: t.BookingTypeDescription, Date: t.Date(), Start: t.StartTime, End: t.EndTime}}
	if b.BookingID != nil {
		res.BookingID = strconv.FormatInt(*b.BookingID, 10)
	}
	if b.ReceiptNo != nil {
		res.ReceiptNo = string(*b.ReceiptNo)
	}
	for _, it := range b.Item {
		if it.Barcode == nil || it.IsExtraItem {
			continue
		}
		desc, price := it.ItemDescription, it.TotalPaid/float64(max(it.Quantity, 1))
		if p := findPrice(prices, it.ItemCode); p != nil {
			desc = p.TicketDescription
		}
		for range max(it.Quantity, 1) {
			res.Tickets = append(res.Tickets, SoldTicket{Barcode: *it.Barcode, TicketID: it.ItemCode, Description: desc, Price: price})
		}
	}
	return res
}

// settleFailure records how a claimed checkout failed. Unreachable means
// the sale may or may not be recorded (unknown: the next attempt asks
// first); a refusal is final and replayed as is.
func (s *Service) settleFailure(ctx context.Context, v *venue, c usher.Checkout, cause error) error {
	c.UpdatedAt = s.now()
	switch code := usher.ErrorCode(cause); {
	case code == usher.EUNAVAILABLE || code == usher.EINTERNAL:
		c.State = usher.CheckoutUnknown
		s.metrics.Checkout(v.Code, "unknown")
		if centaman.IsUnreachable(cause) {
			cause = &usher.Error{Code: usher.EUNAVAILABLE, Err: cause, Detail: map[string]string{"checkout_state": "unknown"},
				Message: fmt.Sprintf("%s's ticketing system (Centaman) did not confirm the sale in time; it may have been recorded. Retry with the same checkout_id: usher checks before selling again", v.Name)}
		}
	default:
		c.State, c.ErrorCode, c.Error = usher.CheckoutFailed, code, usher.ErrorMessage(cause)
		s.metrics.Checkout(v.Code, "refused")
	}
	if err := s.store.FinishCheckout(ctx, c); err != nil {
		s.logger.ErrorContext(ctx, "could not record a checkout's failure; its lease will end", "checkout", c.ID, "err", err)
	}
	return cause
}
