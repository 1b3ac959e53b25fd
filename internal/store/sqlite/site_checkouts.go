package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/usher-hub/usher"
)

// The site area's checkout verbs; the takeover rules are in
// internal/store/site.go and usher.Checkout.

func scanCheckout(r *sql.Rows, x *usher.Checkout) error {
	return r.Scan(&x.Institution, &x.ID, &x.RequestHash, &x.HoldID, &x.PaymentReference, &x.Email, (*string)(&x.State),
		&x.Attempts, (*textTime)(&x.LeaseUntil), &x.BookingID, (*[]byte)(&x.Result), &x.ErrorCode, &x.Error,
		textTimePtr{&x.EmailSentAt}, (*textTime)(&x.CreatedAt), (*textTime)(&x.UpdatedAt))
}

func (c conn) InsertCheckoutIfAbsent(ctx context.Context, x usher.Checkout) (int64, error) {
	return exec(ctx, c.q, "InsertCheckoutIfAbsent", x.Institution, x.ID, x.RequestHash, x.HoldID, x.PaymentReference, x.Email,
		string(x.State), x.Attempts, formatTime(x.LeaseUntil), formatTime(x.CreatedAt), formatTime(x.UpdatedAt))
}

func (c conn) CheckoutForUpdate(ctx context.Context, institution, id string) ([]usher.Checkout, error) {
	return all(ctx, c.q, "CheckoutForUpdate", scanCheckout, institution, id)
}

func (c conn) CheckoutByID(ctx context.Context, institution, id string) ([]usher.Checkout, error) {
	return all(ctx, c.q, "CheckoutByID", scanCheckout, institution, id)
}

func (c conn) UpdateCheckoutLease(ctx context.Context, x usher.Checkout) error {
	_, err := exec(ctx, c.q, "UpdateCheckoutLease", string(x.State), x.Attempts, formatTime(x.LeaseUntil),
		formatTime(x.UpdatedAt), x.Institution, x.ID)
	return err
}

func (c conn) UpdateCheckoutOutcome(ctx context.Context, x usher.Checkout, result *string) (int64, error) {
	return exec(ctx, c.q, "UpdateCheckoutOutcome", string(x.State), formatTime(x.LeaseUntil), x.BookingID, result,
		x.ErrorCode, x.Error, formatTime(x.UpdatedAt), x.Institution, x.ID)
}

func (c conn) SetCheckoutEmailedAt(ctx context.Context, institution, id string, at time.Time) error {
	_, err := exec(ctx, c.q, "SetCheckoutEmailedAt", formatTime(at), institution, id)
	return err
}

func (c conn) DoneCheckoutsUnemailed(ctx context.Context, limit int) ([]usher.Checkout, error) {
	return all(ctx, c.q, "DoneCheckoutsUnemailed", scanCheckout, limit)
}

func (c conn) CheckoutsInStateOf(ctx context.Context, institution string, state usher.CheckoutState, limit int) ([]usher.Checkout, error) {
	return all(ctx, c.q, "CheckoutsInStateOf", scanCheckout, institution, string(state), limit)
}
