package site

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/upstream/centaman"
)

// CheckoutRequest records a sale: the tickets of a hold (a timed
// session) with its extras, general-entry tickets, or both. CheckoutID is
// chosen by the website and makes the request idempotent: sending it
// again, after a timeout or a crash, never records a second sale.
type CheckoutRequest struct {
	CheckoutID string `json:"checkout_id"`
	// HoldID is the visitor's hold; empty for a general-entry-only sale.
	HoldID  string `json:"hold_id,omitempty"`
	Visitor string `json:"visitor"`
	// PaymentReference is the payment gateway's reference; Centaman keeps
	// it with the transaction, and the venue finds a sale by it when its
	// answer was lost (Centaman offers no lookup by it to usher).
	PaymentReference string  `json:"payment_reference"`
	Contact          Contact `json:"contact"`
	// Extras are add-ons of the held session (GET …/events/{id}/offer).
	Extras []ItemLine `json:"extras,omitempty"`
	// General are general-entry (untimed) tickets (GET …/general-tickets).
	General []ItemLine `json:"general,omitempty"`
}

// ItemLine is a quantity of one extra or general-entry ticket.
type ItemLine struct {
	ID       int64 `json:"id"`
	Quantity int   `json:"quantity"`
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
	case r.HoldID == "" && len(r.General) == 0:
		return usher.Errorf(usher.EINVALID, "hold_id is required (hold tickets first with POST …/holds) unless the checkout sells general-entry tickets only")
	case r.HoldID == "" && len(r.Extras) > 0:
		return usher.Errorf(usher.EINVALID, "extras are sold with a timed session: hold_id is required")
	case r.PaymentReference == "" || len(r.PaymentReference) > 200:
		return usher.Errorf(usher.EINVALID, "payment_reference must be 1 to 200 characters")
	case strings.TrimSpace(r.Contact.LastName) == "":
		return usher.Errorf(usher.EINVALID, "contact.last_name is required")
	}
	if err := checkLines("extras", r.Extras); err != nil {
		return err
	}
	if err := checkLines("general", r.General); err != nil {
		return err
	}
	if err := checkVisitor(r.Visitor); err != nil {
		return err
	}
	if a, err := mail.ParseAddress(r.Contact.Email); err != nil || a.Address != r.Contact.Email {
		return usher.Errorf(usher.EINVALID, "contact.email must be a plain e-mail address, such as ann@example.org")
	}
	return nil
}

func checkLines(field string, lines []ItemLine) error {
	seen, total := map[int64]bool{}, 0
	for _, l := range lines {
		if l.ID <= 0 || l.Quantity <= 0 || seen[l.ID] {
			return usher.Errorf(usher.EINVALID, "each %s line must name an id once with a quantity of at least 1", field)
		}
		seen[l.ID] = true
		total += l.Quantity
	}
	if total > MaxTicketsPerHold {
		return usher.Errorf(usher.EINVALID, "%s may have at most %d items, asked for %d", field, MaxTicketsPerHold, total)
	}
	return nil
}

// The states of a checkout answer.
const (
	// StateBooked: Centaman recorded the sale; the tickets are listed.
	StateBooked = "booked"
	// StateConfirming: the answer to the sale was lost; it may be
	// recorded. Nothing is sold again; the venue confirms it.
	StateConfirming = "confirming"
)

// CheckoutResult is the answer of a checkout, stored and replayed as is.
type CheckoutResult struct {
	CheckoutID string `json:"checkout_id"`
	// State is booked or confirming.
	State            string        `json:"state"`
	PaymentReference string        `json:"payment_reference"`
	BookingID        string        `json:"booking_id,omitempty"`
	ReceiptNo        string        `json:"receipt_no,omitempty"`
	Event            *EventSummary `json:"event,omitempty"`
	Tickets          []SoldTicket  `json:"tickets"`
	Extras           []SoldExtra   `json:"extras"`
	// General are the general-entry tickets, each with its barcode.
	General   []SoldTicket    `json:"general"`
	TotalPaid centaman.Amount `json:"total_paid"`
	// Member is the member the sale was booked under, at member prices.
	Member  *int64  `json:"member_code,omitempty"`
	Contact Contact `json:"contact"`
	// Message says, in words, what a confirming checkout means.
	Message string `json:"message,omitempty"`
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
	Barcode     string          `json:"barcode"`
	TicketID    int64           `json:"ticket_id"`
	Description string          `json:"description"`
	Price       centaman.Amount `json:"price"`
}

// SoldExtra is an add-on sold with a session.
type SoldExtra struct {
	ExtraID     int64           `json:"extra_id"`
	Description string          `json:"description"`
	Quantity    int             `json:"quantity"`
	Total       centaman.Amount `json:"total"`
}

// EmailStatus says whether the e-tickets went out.
type EmailStatus struct {
	To string `json:"to"`
	// Status is sent, pending (retried in the background) or disabled.
	Status string `json:"status"`
}

// Checkout records a sale in Centaman, once per checkout id, and sends
// the e-tickets. token is the member session, if any: a member's sale is
// booked under the member at the member's prices. It returns the result
// and whether this request recorded it (false for a replay).
func (s *Service) Checkout(ctx context.Context, institution, token string, req CheckoutRequest) (CheckoutResult, bool, error) {
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
	// The member session is read only for a sale being made: a replay
	// answers without it (a member signed out meanwhile still gets the
	// answer to their checkout).
	buyer, err := s.buyer(ctx, v, token)
	if err != nil {
		return CheckoutResult{}, false, s.settleFailure(ctx, v, c, err)
	}
	res, err := s.sell(ctx, v, c, req, buyer)
	var sent *saleSentError
	if errors.As(err, &sent) {
		// A sale went out: the record stays unknown, whatever failed after.
		s.logger.ErrorContext(ctx, "checkout failed after a sale was sent: it stays unknown for the venue to settle",
			"institution", v.Code, "checkout", c.ID, "err", sent.err)
		return CheckoutResult{}, false, sent.err
	}
	if err != nil {
		return res, false, s.settleFailure(ctx, v, c, err)
	}
	return res, res.State == StateBooked, nil
}

// saleSentError is a failure after a sale was sent to Centaman: the
// checkout must stay unknown (never retried), not be released for a
// retry.
type saleSentError struct{ err error }

func (e *saleSentError) Error() string { return e.err.Error() }
func (e *saleSentError) Unwrap() error { return e.err }

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
	case usher.CheckoutUnknown:
		res := confirming(c)
		res.Replayed = true
		return res, nil
	default:
		s.metrics.Checkout(c.Institution, "in_progress")
		return CheckoutResult{}, &usher.Error{Code: usher.EUNAVAILABLE, Detail: map[string]string{"checkout_state": string(c.State)},
			Message: fmt.Sprintf("checkout %q is being processed by an earlier request: retry with the same checkout_id shortly", c.ID)}
	}
}

// confirming is the answer for a checkout whose sale may be recorded.
func confirming(c usher.Checkout) CheckoutResult {
	res := CheckoutResult{}
	if len(c.Result) > 0 {
		_ = json.Unmarshal(c.Result, &res)
	}
	res.CheckoutID, res.State, res.PaymentReference = c.ID, StateConfirming, c.PaymentReference
	res.Email = EmailStatus{To: c.Email, Status: "pending"}
	res.Message = fmt.Sprintf("We are confirming your booking with the venue: its ticketing system did not answer in time. "+
		"Nothing will be charged twice. Keep your payment reference %s; the venue confirms the booking or contacts you.", c.PaymentReference)
	if res.Tickets == nil {
		res.Tickets = []SoldTicket{}
	}
	if res.Extras == nil {
		res.Extras = []SoldExtra{}
	}
	if res.General == nil {
		res.General = []SoldTicket{}
	}
	return res
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

// settleFailure records how a claimed checkout failed before any sale was
// sent (an unreachable Centaman, an ended member session, a refusal):
// nothing was sold. A refusal is final and replayed as is; an outage or a
// session to renew lets the lease go, so a retry may try again.
func (s *Service) settleFailure(ctx context.Context, v *venue, c usher.Checkout, cause error) error {
	c.UpdatedAt = s.now()
	switch code := usher.ErrorCode(cause); {
	case code == usher.EUNAVAILABLE || code == usher.EINTERNAL || code == usher.EUNAUTHORIZED:
		c.State, c.LeaseUntil = usher.CheckoutPending, s.now().Add(-time.Nanosecond)
		s.metrics.Checkout(v.Code, "error")
	default:
		c.State, c.ErrorCode, c.Error = usher.CheckoutFailed, code, usher.ErrorMessage(cause)
		s.metrics.Checkout(v.Code, "refused")
	}
	if err := s.store.FinishCheckout(ctx, c); err != nil {
		s.logger.ErrorContext(ctx, "could not record a checkout's failure; its lease will end", "checkout", c.ID, "err", err)
	}
	return cause
}
