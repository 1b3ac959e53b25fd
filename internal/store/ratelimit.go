package store

import (
	"context"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// ReserveRate reserves call slots; see usher.RateLimitStore. The bucket is
// read locked and written back in one transaction, so replicas sharing the
// database each see the slots the others took before them.
func (s *Store) ReserveRate(ctx context.Context, bucket string, plan usher.RatePlan, n int, now, latest time.Time) ([]time.Time, time.Time, error) {
	var starts []time.Time
	var next time.Time
	err := s.updateRate(ctx, "reserve rate", bucket, func(st usher.RateState) usher.RateState {
		starts, next, st = plan.Reserve(st, now, n, latest)
		return st
	})
	return starts, next, err
}

// BlockRate pauses a bucket; see usher.RateLimitStore. A block never
// shortens one already in place.
func (s *Store) BlockRate(ctx context.Context, bucket string, until time.Time) error {
	return s.updateRate(ctx, "block rate", bucket, func(st usher.RateState) usher.RateState {
		if until.After(st.BlockedUntil) {
			st.BlockedUntil = until
		}
		return st
	})
}

// RateState returns a bucket's state; see usher.RateLimitStore. A bucket
// never used is zero.
func (s *Store) RateState(ctx context.Context, bucket string) (usher.RateState, error) {
	rows, err := s.d.RateBuckets(ctx, bucket)
	if err != nil {
		return usher.RateState{}, unavailable("rate state", err)
	}
	return firstRate(rows), nil
}

// updateRate locks bucket, passes its state through change and stores the
// result, rounded up to the microsecond the databases keep (a time rounded
// down would let a call start early). change may run again if the
// transaction is retried.
func (s *Store) updateRate(ctx context.Context, op, bucket string, change func(usher.RateState) usher.RateState) error {
	return s.d.InTx(ctx, op, func(ctx context.Context, x driver.Executor) error {
		rows, err := x.LockRateBucket(ctx, bucket)
		if err != nil {
			return err
		}
		st := change(firstRate(rows))
		return x.PutRateBucket(ctx, bucket, usher.RateState{TAT: usher.CeilMicro(st.TAT), BlockedUntil: usher.CeilMicro(st.BlockedUntil)})
	})
}

func firstRate(rows []usher.RateState) usher.RateState {
	if len(rows) == 0 {
		return usher.RateState{}
	}
	return rows[0]
}
