package sqlite

import (
	"context"
	"database/sql"

	"github.com/usher-hub/usher"
)

// The ratelimit area's verbs (driver.RateLimitVerbs); SQL in
// queries/ratelimit.sql.

func scanRate(r *sql.Rows, x *usher.RateState) error {
	return r.Scan((*textTime)(&x.TAT), (*textTime)(&x.BlockedUntil))
}

func (c conn) RateBuckets(ctx context.Context, name string) ([]usher.RateState, error) {
	return all(ctx, c.q, "RateBuckets", scanRate, name)
}

// LockRateBucket reads the bucket: in InTx, the write lock SQLite takes at
// BEGIN already keeps every other writer, in any process, out until commit.
func (c conn) LockRateBucket(ctx context.Context, name string) ([]usher.RateState, error) {
	return c.RateBuckets(ctx, name)
}

func (c conn) PutRateBucket(ctx context.Context, name string, st usher.RateState) error {
	_, err := exec(ctx, c.q, "PutRateBucket", name, formatTime(st.TAT), formatTime(st.BlockedUntil))
	return err
}
