package store

import (
	"context"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// HoldJobs pauses or resumes queued jobs by order-key prefix; see
// usher.OutboxStore. A held job is one due at usher.HeldUntil: holding
// moves the queued jobs not held yet there, releasing moves the held ones
// to now.
func (s *Store) HoldJobs(ctx context.Context, institution, prefix string, hold bool, now time.Time) (int, error) {
	r := driver.JobReschedule{Institution: institution, Prefix: prefix, Held: !hold, HeldUntil: usher.HeldUntil,
		RunAt: now, Now: now}
	if hold {
		r.RunAt = usher.HeldUntil
	}
	var n int64
	err := s.oneStatement(ctx, "hold jobs", func(ctx context.Context, x driver.Executor) error {
		var err error
		n, err = x.RescheduleQueuedJobs(ctx, r)
		return err
	})
	return int(n), err
}

// CountJobsByPrefix counts jobs by state for an order-key prefix; see
// usher.OutboxStore.
func (s *Store) CountJobsByPrefix(ctx context.Context, institution, prefix string) (map[usher.JobState]int, int, error) {
	rows, err := s.d.CountJobsByPrefix(ctx, institution, prefix, usher.HeldUntil)
	if err != nil {
		return nil, 0, unavailable("count jobs", err)
	}
	counts, held := map[usher.JobState]int{}, 0
	for _, c := range rows {
		counts[c.State] += c.Count
		if c.Held && c.State == usher.JobQueued {
			held += c.Count
		}
	}
	return counts, held, nil
}
