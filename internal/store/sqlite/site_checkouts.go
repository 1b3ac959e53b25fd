package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/usher-hub/usher"
)

const checkoutColumns = `institution, id, request_hash, hold_id, payment_reference, email, state, attempts,
	lease_until, booking_id, result, error_code, error, email_sent_at, created_at, updated_at`

// ClaimCheckout takes the lease on a checkout; see usher.SiteStore. The
// single writer connection makes the read-then-write atomic.
func (s *Store) ClaimCheckout(ctx context.Context, c usher.Checkout, now time.Time) (usher.Checkout, bool, error) {
	var out usher.Checkout
	claimed := false
	err := s.inWriteTx(ctx, "claim checkout", func(ctx context.Context, tx *sql.Tx) error {
		existing, err := scanCheckout(tx.QueryRowContext(ctx, `SELECT `+checkoutColumns+` FROM site_checkouts
			WHERE institution = ? AND id = ?`, c.Institution, c.ID))
		if errors.Is(err, sql.ErrNoRows) {
			c.State, c.Attempts = usher.CheckoutPending, 1
			_, err = tx.ExecContext(ctx, `INSERT INTO site_checkouts (`+checkoutColumns+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', NULL, '', '', NULL, ?, ?)`,
				c.Institution, c.ID, c.RequestHash, c.HoldID, c.PaymentReference, c.Email, string(c.State),
				c.Attempts, formatTime(c.LeaseUntil), formatTime(now), formatTime(now))
			out, claimed = c, true
			out.CreatedAt, out.UpdatedAt = now, now
			return err
		}
		if err != nil {
			return err
		}
		out = existing
		if !takeable(existing, c.RequestHash, now) {
			return nil
		}
		out.State, out.Attempts, out.LeaseUntil, out.UpdatedAt = usher.CheckoutPending, existing.Attempts+1, c.LeaseUntil, now
		_, err = tx.ExecContext(ctx, `UPDATE site_checkouts SET state = 'pending', attempts = ?, lease_until = ?, updated_at = ?
			WHERE institution = ? AND id = ?`, out.Attempts, formatTime(out.LeaseUntil), formatTime(now), c.Institution, c.ID)
		claimed = err == nil
		return err
	})
	return out, claimed, err
}

// takeable reports whether a new request may take over a stored checkout:
// the same request, nobody is (still) working on it, and its sale was
// never sent (an unknown checkout may be sold: only the venue settles it).
func takeable(existing usher.Checkout, requestHash string, now time.Time) bool {
	return existing.RequestHash == requestHash && existing.State == usher.CheckoutPending && existing.LeaseUntil.Before(now)
}

// FinishCheckout saves a checkout's outcome; see usher.SiteStore.
func (s *Store) FinishCheckout(ctx context.Context, c usher.Checkout) error {
	var result any
	if len(c.Result) > 0 {
		result = string(c.Result)
	}
	n, err := s.execWrite(ctx, "finish checkout", `UPDATE site_checkouts SET state = ?, lease_until = ?, booking_id = ?,
		result = ?, error_code = ?, error = ?, updated_at = ? WHERE institution = ? AND id = ?`,
		string(c.State), formatTime(c.LeaseUntil), c.BookingID, result, c.ErrorCode, c.Error,
		formatTime(c.UpdatedAt), c.Institution, c.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return usher.ErrNotFound
	}
	return nil
}

// MarkCheckoutEmailed records the e-tickets as sent; see usher.SiteStore.
func (s *Store) MarkCheckoutEmailed(ctx context.Context, institution, id string, at time.Time) error {
	_, err := s.execWrite(ctx, "mark checkout emailed", `UPDATE site_checkouts SET email_sent_at = ? WHERE institution = ? AND id = ?`,
		formatTime(at), institution, id)
	return err
}

// CheckoutsAwaitingEmail lists done checkouts with unsent e-tickets; see
// usher.SiteStore.
func (s *Store) CheckoutsAwaitingEmail(ctx context.Context, limit int) ([]usher.Checkout, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+checkoutColumns+` FROM site_checkouts
		WHERE state = 'done' AND email_sent_at IS NULL ORDER BY created_at LIMIT ?`, limit)
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

func scanCheckout(row scanner) (usher.Checkout, error) {
	var c usher.Checkout
	var state, lease, created, updated string
	var result, emailed sql.NullString
	err := row.Scan(&c.Institution, &c.ID, &c.RequestHash, &c.HoldID, &c.PaymentReference, &c.Email, &state,
		&c.Attempts, &lease, &c.BookingID, &result, &c.ErrorCode, &c.Error, &emailed, &created, &updated)
	if err != nil {
		return c, err
	}
	c.State = usher.CheckoutState(state)
	c.LeaseUntil, c.CreatedAt, c.UpdatedAt = parseTime(lease), parseTime(created), parseTime(updated)
	if result.Valid {
		c.Result = []byte(result.String)
	}
	if emailed.Valid {
		t := parseTime(emailed.String)
		c.EmailSentAt = &t
	}
	return c, nil
}

// FindCheckout returns a checkout; see usher.SiteStore.
func (s *Store) FindCheckout(ctx context.Context, institution, id string) (usher.Checkout, error) {
	c, err := scanCheckout(s.read.QueryRowContext(ctx, `SELECT `+checkoutColumns+` FROM site_checkouts
		WHERE institution = ? AND id = ?`, institution, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, usher.ErrNotFound
	}
	if err != nil {
		return c, unavailable("find checkout", err)
	}
	return c, nil
}

// CheckoutsInState lists an institution's checkouts in a state, oldest
// first; see usher.SiteStore.
func (s *Store) CheckoutsInState(ctx context.Context, institution string, state usher.CheckoutState, limit int) ([]usher.Checkout, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+checkoutColumns+` FROM site_checkouts
		WHERE institution = ? AND state = ? ORDER BY created_at LIMIT ?`, institution, string(state), limit)
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
