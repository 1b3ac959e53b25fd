package postgres

import (
	"context"

	"github.com/usher-hub/usher"
)

// TicketCheckHashes returns the stored content hash of each of ids; see
// usher.DocumentStore.
func (s *Store) TicketCheckHashes(ctx context.Context, institution string, ids []int64) (map[int64]string, error) {
	hashes := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return hashes, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT ticket_check_id, content_hash FROM ticket_checks
		WHERE institution = $1 AND ticket_check_id = ANY($2::bigint[])`, institution, ids)
	if err != nil {
		return nil, unavailable("find ticket check hashes", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var hash string
		if err := rows.Scan(&id, &hash); err != nil {
			return nil, unavailable("find ticket check hashes", err)
		}
		hashes[id] = hash
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("find ticket check hashes", err)
	}
	return hashes, nil
}

var _ usher.DocumentStore = (*Store)(nil)
