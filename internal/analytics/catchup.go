package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/usher-hub/usher"
)

// CatchUp applies store's analytics queue until it is empty, orders order
// versions per projection, for whoever needs current reports at once: the
// report command, tests and benchmarks. While another projector has the
// turn (a server's, another replica's) it waits for it. It gives up after
// maxProjections projections, so that a queue that never drains is an
// error rather than a hang.
func CatchUp(ctx context.Context, store usher.AnalyticsStore, orders, maxProjections int) error {
	for range maxProjections {
		p, err := store.ProjectAnalytics(ctx, orders)
		if err != nil {
			return err
		}
		if p.Busy {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		if !p.Partial && p.Pending == 0 {
			return nil
		}
	}
	return fmt.Errorf("the analytics queue did not drain in %d projections", maxProjections)
}
