package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
)

const checkoutColumns = `institution, id, request_hash, hold_id, payment_reference, email, state, attempts,
	lease_until, booking_id, result::text, error_code, error, email_sent_at, created_at, updated_at`

// ClaimCheckout takes the lease on a checkout; see usher.SiteStore. The
// row lock (FOR UPDATE) makes two replicas' retries of one checkout take
// turns, so only one of them ever talks to the upstream at a time.
func (s *Store) ClaimCheckout(ctx context.Context, c usher.Checkout, now time.Time) (usher.Checkout, bool, error) {
	var out usher.Checkout
	claimed := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO site_checkouts
			(institution, id, request_hash, hold_id, payment_reference, email, state, attempts, lease_until, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'pending', 1, $7, $8, $8)
			ON CONFLICT (institution, id) DO NOTHING`,
			c.Institution, c.ID, c.RequestHash, c.HoldID, c.PaymentReference, c.Email, c.LeaseUntil, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			out, claimed = c, true
			out.State, out.Attempts, out.CreatedAt, out.UpdatedAt = usher.CheckoutPending, 1, now, now
			return nil
		}
		existing, err := scanCheckout(tx.QueryRow(ctx, `SELECT `+checkoutColumns+` FROM site_checkouts
			WHERE institution = $1 AND id = $2 FOR UPDATE`, c.Institution, c.ID))
		if err != nil {
			return err
		}
		out = existing
		if !takeable(existing, c.RequestHash, now) {
			return nil
		}
		out.State, out.Attempts, out.LeaseUntil, out.UpdatedAt = usher.CheckoutPending, existing.Attempts+1, c.LeaseUntil, now
		_, err = tx.Exec(ctx, `UPDATE site_checkouts SET state = 'pending', attempts = $1, lease_until = $2, updated_at = $3
			WHERE institution = $4 AND id = $5`, out.Attempts, out.LeaseUntil, now, c.Institution, c.ID)
		claimed = err == nil
		return err
	})
	if err != nil {
		return out, false, unavailable("claim checkout", err)
	}
	return out, claimed, nil
}

// takeable reports whether a new request may take over a stored checkout:
// the same request, nobody is (still) working on it, and its sale was
// never sent (an unknown checkout may be sold: only the venue settles it).
func takeable(existing usher.Checkout, requestHash string, now time.Time) bool {
	return existing.RequestHash == requestHash && existing.State == usher.CheckoutPending && existing.LeaseUntil.Before(now)
}

// FinishCheckout saves a checkout's outcome; see usher.SiteStore.
func (s *Store) FinishCheckout(ctx context.Context, c usher.Checkout) error {
	var result *string
	if len(c.Result) > 0 {
		r := string(c.Result)
		result = &r
	}
	tag, err := s.pool.Exec(ctx, `UPDATE site_checkouts SET state = $1, lease_until = $2, booking_id = $3,
		result = $4::jsonb, error_code = $5, error = $6, updated_at = $7 WHERE institution = $8 AND id = $9`,
		string(c.State), c.LeaseUntil, c.BookingID, result, c.ErrorCode, c.Error, c.UpdatedAt, c.Institution, c.ID)
	if err != nil {
		return unavailable("finish checkout", err)
	}
	if tag.RowsAffected() == 0 {
		return usher.ErrNotFound
	}
	return nil
}

// MarkCheckoutEmailed records the e-tickets as sent; see usher.SiteStore.
func (s *Store) MarkCheckoutEmailed(ctx context.Context, institution, id string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE site_checkouts SET email_sent_at = $1 WHERE institution = $2 AND id = $3`,
		at, institution, id)
	if err != nil {
		return unavailable("mark checkout emailed", err)
	}
	return nil
}

// CheckoutsAwaitingEmail lists done checkouts with unsent e-tickets; see
// usher.SiteStore.
func (s *Store) CheckoutsAwaitingEmail(ctx context.Context, limit int) ([]usher.Checkout, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+checkoutColumns+` FROM site_checkouts
		WHERE state = 'done' AND email_sent_at IS NULL ORDER BY created_at LIMIT $1`, limit)
	if err != nil {
		return nil, unavailable("checkouts awaiting email", err)
	}
	defer rows.Close()
	var out []usher.Checkout
	for rows.Next() {
		c, err := scanCheckout(rows)
		if err != nil {
			return nil, unavailable("checkouts awaiting email", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("checkouts awaiting email", err)
	}
	return out, nil
}

func scanCheckout(row pgx.Row) (usher.Checkout, error) {
	var c usher.Checkout
	var state string
	var result *string
	err := row.Scan(&c.Institution, &c.ID, &c.RequestHash, &c.HoldID, &c.PaymentReference, &c.Email, &state,
		&c.Attempts, &c.LeaseUntil, &c.BookingID, &result, &c.ErrorCode, &c.Error, &c.EmailSentAt, &c.CreatedAt, &c.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, usher.ErrNotFound
	}
	if err != nil {
		return c, err
	}
	c.State = usher.CheckoutState(state)
	if result != nil {
		c.Result = []byte(*result)
	}
	return c, nil
}

// FindCheckout returns a checkout; see usher.SiteStore.
func (s *Store) FindCheckout(ctx context.Context, institution, id string) (usher.Checkout, error) {
	c, err := scanCheckout(s.pool.QueryRow(ctx, `SELECT `+checkoutColumns+` FROM site_checkouts
		WHERE institution = $1 AND id = $2`, institution, id))
	if errors.Is(err, usher.ErrNotFound) {
		return c, err
	}
	if err != nil {
		return c, unavailable("find checkout", err)
	}
	return c, nil
}

// CheckoutsInState lists an institution's checkouts in a state, oldest
// first; see usher.SiteStore.
func (s *Store) CheckoutsInState(ctx context.Context, institution string, state usher.CheckoutState, limit int) ([]usher.Checkout, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+checkoutColumns+` FROM site_checkouts
		WHERE institution = $1 AND state = $2 ORDER BY created_at LIMIT $3`, institution, string(state), limit)
	if err != nil {
		return nil, unavailable("checkouts in state", err)
	}
	defer rows.Close()
	var out []usher.Checkout
	for rows.Next() {
		c, err := scanCheckout(rows)
		if err != nil {
			return nil, unavailable("checkouts in state", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("checkouts in state", err)
	}
	return out, nil
}
