package postgres

import (
	"context"
	"time"

	"github.com/usher-hub/usher"
)

// HoldJobs pauses or resumes queued jobs by order-key prefix; see
// usher.OutboxStore.
func (s *Store) HoldJobs(ctx context.Context, institution, prefix string, hold bool, now time.Time) (int, error) {
	q := `UPDATE outbox_jobs SET run_at = $1, updated_at = $2 WHERE state = 'queued' AND institution = $3
		AND starts_with(order_key, $4) AND run_at < $5`
	runAt := usher.HeldUntil
	if !hold {
		q = `UPDATE outbox_jobs SET run_at = $1, updated_at = $2 WHERE state = 'queued' AND institution = $3
		AND starts_with(order_key, $4) AND run_at >= $5`
		runAt = now
	}
	tag, err := s.pool.Exec(ctx, q, runAt, now, institution, prefix, usher.HeldUntil)
	if err != nil {
		return 0, unavailable("hold jobs", err)
	}
	return int(tag.RowsAffected()), nil
}

// CountJobsByPrefix counts jobs by state for an order-key prefix; see
// usher.OutboxStore.
func (s *Store) CountJobsByPrefix(ctx context.Context, institution, prefix string) (map[usher.JobState]int, int, error) {
	rows, err := s.pool.Query(ctx, `SELECT state, run_at >= $1, count(*) FROM outbox_jobs
		WHERE institution = $2 AND starts_with(order_key, $3) GROUP BY 1, 2`, usher.HeldUntil, institution, prefix)
	if err != nil {
		return nil, 0, unavailable("count jobs", err)
	}
	defer rows.Close()
	counts, held := map[usher.JobState]int{}, 0
	for rows.Next() {
		var state string
		var isHeld bool
		var n int
		if err := rows.Scan(&state, &isHeld, &n); err != nil {
			return nil, 0, unavailable("count jobs", err)
		}
		counts[usher.JobState(state)] += n
		if isHeld && state == string(usher.JobQueued) {
			held += n
		}
	}
	return counts, held, rows.Err()
}
