// Package wait sleeps for a while unless a context ends first: the one
// pause the workers share (the outbox's retries, the S-360 rate limiter,
// the pruner's pacing, SQLite's projection slices).
package wait

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx is done, and returns ctx's error in that
// case. A d of zero or less does not wait.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
