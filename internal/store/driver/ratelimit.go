package driver

import (
	"context"

	"github.com/usher-hub/usher"
)

// RateLimitVerbs are the plain verbs of the ratelimit area: a bucket's
// row. How a reservation spends it is usher.RatePlan's and
// internal/store's.
type RateLimitVerbs interface {
	// RateBuckets returns the bucket's row, or none for a bucket never
	// used.
	RateBuckets(ctx context.Context, name string) ([]usher.RateState, error)
	// LockRateBucket is RateBuckets in InTx, keeping other transactions
	// from changing the bucket until this one ends (PostgreSQL: creates
	// the row zero if missing and locks it FOR UPDATE; SQLite's single
	// writer serialises), so replicas sharing the database spend one
	// budget.
	LockRateBucket(ctx context.Context, name string) ([]usher.RateState, error)
	// PutRateBucket stores the bucket's row as st, creating it if needed.
	PutRateBucket(ctx context.Context, name string, st usher.RateState) error
}

// RateLimitLegacy is empty: the ratelimit area's rules are
// internal/store's.
type RateLimitLegacy interface{}
