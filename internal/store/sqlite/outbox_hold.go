package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/usher-hub/usher"
)

// HoldJobs pauses or resumes queued jobs by order-key prefix; see
// usher.OutboxStore.
func (s *Store) HoldJobs(ctx context.Context, institution, prefix string, hold bool, now time.Time) (int, error) {
	var n int64
	err := s.inWriteTx(ctx, "hold jobs", func(ctx context.Context, tx *sql.Tx) error {
		held := formatTime(usher.HeldUntil)
		q := `UPDATE outbox_jobs SET run_at = ?, updated_at = ? WHERE state = 'queued' AND institution = ?
			AND substr(order_key, 1, ?) = ? AND run_at < ?`
		args := []any{held, formatTime(now), institution, len(prefix), prefix, held}
		if !hold {
			q = `UPDATE outbox_jobs SET run_at = ?, updated_at = ? WHERE state = 'queued' AND institution = ?
			AND substr(order_key, 1, ?) = ? AND run_at >= ?`
			args[0] = formatTime(now)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

// CountJobsByPrefix counts jobs by state for an order-key prefix; see
// usher.OutboxStore.
func (s *Store) CountJobsByPrefix(ctx context.Context, institution, prefix string) (map[usher.JobState]int, int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT state, run_at >= ?, count(*) FROM outbox_jobs
		WHERE institution = ? AND substr(order_key, 1, ?) = ? GROUP BY 1, 2`,
		formatTime(usher.HeldUntil), institution, len(prefix), prefix)
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
