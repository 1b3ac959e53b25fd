package site

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/usher-hub/usher"
)

// UnknownCheckout is a checkout whose sale's answer was lost, as the
// venue's staff see it: what was sent, under which payment reference, so
// they can look it up in Centaman.
type UnknownCheckout struct {
	CheckoutID       string         `json:"checkout_id"`
	PaymentReference string         `json:"payment_reference"`
	Email            string         `json:"email"`
	HoldID           string         `json:"hold_id,omitempty"`
	Since            time.Time      `json:"since"`
	Problem          string         `json:"problem"`
	SoFar            CheckoutResult `json:"so_far"`
}

// UnknownCheckouts lists the checkouts the venue must settle, oldest first.
func (s *Service) UnknownCheckouts(ctx context.Context, institution string) ([]UnknownCheckout, error) {
	if _, err := s.venue(institution); err != nil {
		return nil, err
	}
	cs, err := s.store.CheckoutsInState(ctx, institution, usher.CheckoutUnknown, 500)
	if err != nil {
		return nil, err
	}
	out := make([]UnknownCheckout, 0, len(cs))
	for _, c := range cs {
		u := UnknownCheckout{CheckoutID: c.ID, PaymentReference: c.PaymentReference, Email: c.Email, HoldID: c.HoldID,
			Since: c.UpdatedAt, Problem: c.Error, SoFar: confirming(c)}
		if u.Problem == "" {
			u.Problem = "the sale was being sent when usher stopped"
		}
		out = append(out, u)
	}
	return out, nil
}

// The outcomes staff give an unknown checkout.
const (
	OutcomeSold    = "sold"
	OutcomeNotSold = "not_sold"
)

// Settlement is the venue's finding about an unknown checkout, after
// looking its payment reference up in Centaman.
type Settlement struct {
	Outcome string `json:"outcome"`
	// BookingID is Centaman's booking, for a sold checkout.
	BookingID string `json:"booking_id,omitempty"`
	Note      string `json:"note,omitempty"`
}

// SettleCheckout records what the venue found. Sold: the checkout is done
// and its hold sold. Not sold: the checkout fails with that finding, and
// its hold is let go without a release (Centaman drops unsold held spots
// by itself; releasing could free another visitor's).
func (s *Service) SettleCheckout(ctx context.Context, institution, id string, st Settlement) (CheckoutResult, error) {
	if _, err := s.venue(institution); err != nil {
		return CheckoutResult{}, err
	}
	if st.Outcome != OutcomeSold && st.Outcome != OutcomeNotSold {
		return CheckoutResult{}, usher.Errorf(usher.EINVALID, "outcome must be sold or not_sold")
	}
	if len(st.BookingID) > 64 || len(st.Note) > 500 {
		return CheckoutResult{}, usher.Errorf(usher.EINVALID, "booking_id may have at most 64 characters and note 500")
	}
	c, err := s.store.FindCheckout(ctx, institution, id)
	if usher.ErrorCode(err) == usher.ENOTFOUND {
		return CheckoutResult{}, usher.Errorf(usher.ENOTFOUND, "no checkout %q", id)
	}
	if err != nil {
		return CheckoutResult{}, err
	}
	if c.State != usher.CheckoutUnknown {
		return CheckoutResult{}, usher.Errorf(usher.ECONFLICT, "checkout %q is %s, not unknown: nothing to settle", id, c.State)
	}
	res := confirming(c)
	holdStatus := usher.HoldSold
	c.UpdatedAt = s.now()
	if st.Outcome == OutcomeSold {
		res.State, res.Message = StateBooked, "Confirmed by the venue. "+st.Note
		if st.BookingID != "" {
			res.BookingID = st.BookingID
		}
		stored, _ := json.Marshal(res)
		c.State, c.Result, c.BookingID, c.ErrorCode, c.Error = usher.CheckoutDone, stored, res.BookingID, "", ""
	} else {
		holdStatus = usher.HoldExpired
		c.State, c.ErrorCode = usher.CheckoutFailed, usher.ECONFLICT
		c.Error = fmt.Sprintf("the venue found no sale for payment reference %s: nothing was booked. %s", c.PaymentReference, st.Note)
	}
	if err := s.settleHold(ctx, institution, c.HoldID, holdStatus); err != nil {
		return CheckoutResult{}, err
	}
	if err := s.store.FinishCheckout(ctx, c); err != nil {
		return CheckoutResult{}, err
	}
	s.metrics.Checkout(institution, "settled_"+st.Outcome)
	if c.State == usher.CheckoutFailed {
		res.State, res.Message = OutcomeNotSold, c.Error
	}
	return res, nil
}

func (s *Service) settleHold(ctx context.Context, institution, id string, status usher.HoldStatus) error {
	if id == "" {
		return nil
	}
	h, err := s.store.FindHold(ctx, institution, id)
	if usher.ErrorCode(err) == usher.ENOTFOUND {
		return nil
	}
	if err != nil || h.Status != usher.HoldUncertain {
		return err
	}
	h.Status, h.UpdatedAt = status, s.now()
	return s.store.UpdateHold(ctx, h)
}
