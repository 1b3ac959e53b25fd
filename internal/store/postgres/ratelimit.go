package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
)

// The ratelimit area's verbs (driver.RateLimitVerbs); SQL in
// queries/ratelimit.sql.

func scanRate(r pgx.Row, x *usher.RateState) error { return r.Scan(&x.TAT, &x.BlockedUntil) }

func (c conn) RateBuckets(ctx context.Context, name string) ([]usher.RateState, error) {
	return all(ctx, c.q, "RateBuckets", scanRate, name)
}

// LockRateBucket creates the bucket if needed and locks its row FOR
// UPDATE until the transaction ends: replicas take their slots in turn.
func (c conn) LockRateBucket(ctx context.Context, name string) ([]usher.RateState, error) {
	if _, err := exec(ctx, c.q, "CreateRateBucket", name, time.Time{}); err != nil {
		return nil, err
	}
	return all(ctx, c.q, "LockRateBucket", scanRate, name)
}

func (c conn) PutRateBucket(ctx context.Context, name string, st usher.RateState) error {
	_, err := exec(ctx, c.q, "PutRateBucket", name, st.TAT, st.BlockedUntil)
	return err
}
