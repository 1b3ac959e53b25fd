package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
)

// ReserveRate reserves call slots; see usher.RateLimitStore. The bucket's
// row lock (FOR UPDATE) makes the read-modify-write atomic across
// replicas: each sees the slots the others took before it.
func (s *Store) ReserveRate(ctx context.Context, bucket string, plan usher.RatePlan, n int, now, latest time.Time) ([]time.Time, time.Time, error) {
	var starts []time.Time
	var next time.Time
	err := s.inTx(ctx, "reserve rate", func(tx pgx.Tx) error {
		st, err := lockRateState(ctx, tx, bucket)
		if err != nil {
			return err
		}
		var after usher.RateState
		starts, next, after = plan.Reserve(st, now, n, latest)
		return putRateState(ctx, tx, bucket, after)
	})
	return starts, next, err
}

// BlockRate pauses a bucket; see usher.RateLimitStore.
func (s *Store) BlockRate(ctx context.Context, bucket string, until time.Time) error {
	return s.inTx(ctx, "block rate", func(tx pgx.Tx) error {
		st, err := lockRateState(ctx, tx, bucket)
		if err != nil {
			return err
		}
		if until.After(st.BlockedUntil) {
			st.BlockedUntil = until
		}
		return putRateState(ctx, tx, bucket, st)
	})
}

// RateState returns a bucket's state; see usher.RateLimitStore.
func (s *Store) RateState(ctx context.Context, bucket string) (usher.RateState, error) {
	var st usher.RateState
	err := s.pool.QueryRow(ctx, `SELECT tat, blocked_until FROM rate_buckets WHERE name = $1`, bucket).Scan(&st.TAT, &st.BlockedUntil)
	if errors.Is(err, pgx.ErrNoRows) {
		return usher.RateState{}, nil
	}
	if err != nil {
		return st, unavailable("rate state", err)
	}
	return st, nil
}

// lockRateState creates the bucket if needed and locks its row until the
// transaction ends.
func lockRateState(ctx context.Context, tx pgx.Tx, bucket string) (usher.RateState, error) {
	var st usher.RateState
	if _, err := tx.Exec(ctx, `INSERT INTO rate_buckets (name, tat, blocked_until) VALUES ($1, $2, $2)
		ON CONFLICT (name) DO NOTHING`, bucket, time.Time{}); err != nil {
		return st, err
	}
	err := tx.QueryRow(ctx, `SELECT tat, blocked_until FROM rate_buckets WHERE name = $1 FOR UPDATE`, bucket).
		Scan(&st.TAT, &st.BlockedUntil)
	return st, err
}

func putRateState(ctx context.Context, tx pgx.Tx, bucket string, st usher.RateState) error {
	_, err := tx.Exec(ctx, `UPDATE rate_buckets SET tat = $2, blocked_until = $3 WHERE name = $1`, bucket, usher.CeilMicro(st.TAT), usher.CeilMicro(st.BlockedUntil))
	return err
}
