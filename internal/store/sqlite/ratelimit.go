package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/usher-hub/usher"
)

// ReserveRate reserves call slots; see usher.RateLimitStore. The write
// lock taken at BEGIN makes the read-modify-write atomic across processes.
func (s *Store) ReserveRate(ctx context.Context, bucket string, plan usher.RatePlan, n int, now, latest time.Time) ([]time.Time, time.Time, error) {
	var starts []time.Time
	var next time.Time
	err := s.inWriteTx(ctx, "reserve rate", func(ctx context.Context, tx *sql.Tx) error {
		st, err := rateState(ctx, tx, bucket)
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
	return s.inWriteTx(ctx, "block rate", func(ctx context.Context, tx *sql.Tx) error {
		st, err := rateState(ctx, tx, bucket)
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
	var tat, blocked string
	err := s.read.QueryRowContext(ctx, `SELECT tat, blocked_until FROM rate_buckets WHERE name = ?`, bucket).Scan(&tat, &blocked)
	if errors.Is(err, sql.ErrNoRows) {
		return usher.RateState{}, nil
	}
	if err != nil {
		return usher.RateState{}, unavailable("rate state", err)
	}
	return usher.RateState{TAT: parseTime(tat), BlockedUntil: parseTime(blocked)}, nil
}

func rateState(ctx context.Context, tx *sql.Tx, bucket string) (usher.RateState, error) {
	var tat, blocked string
	err := tx.QueryRowContext(ctx, `SELECT tat, blocked_until FROM rate_buckets WHERE name = ?`, bucket).Scan(&tat, &blocked)
	if errors.Is(err, sql.ErrNoRows) {
		return usher.RateState{}, nil
	}
	if err != nil {
		return usher.RateState{}, err
	}
	return usher.RateState{TAT: parseTime(tat), BlockedUntil: parseTime(blocked)}, nil
}

func putRateState(ctx context.Context, tx *sql.Tx, bucket string, st usher.RateState) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO rate_buckets (name, tat, blocked_until) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET tat = excluded.tat, blocked_until = excluded.blocked_until`,
		bucket, formatTime(usher.CeilMicro(st.TAT)), formatTime(usher.CeilMicro(st.BlockedUntil)))
	return err
}
