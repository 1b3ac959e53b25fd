package postgres

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
)

// lockInstitutions serialises, per institution, the transactions that
// store its documents. The analytics projections upsert shared rollup rows
// (a day's sales, an hour's attendance) from triggers, and two payloads of
// one institution that touched them in different orders deadlocked under
// concurrent load, each retry costing a 503. One transaction-scoped
// advisory lock per institution, taken in sorted order, gives them a
// single order; institutions share no rollup rows, so they still write in
// parallel. The lock ends with the transaction, so a crash leaves none.
func lockInstitutions(ctx context.Context, tx pgx.Tx, docs []usher.Document) error {
	var codes []string
	for _, d := range docs {
		if !slices.Contains(codes, d.Institution) {
			codes = append(codes, d.Institution)
		}
	}
	slices.Sort(codes)
	for _, code := range codes {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('usher.ingest:' || $1, 0))`, code); err != nil {
			return err
		}
	}
	return nil
}
