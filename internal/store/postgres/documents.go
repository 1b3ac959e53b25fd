package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// SaveGrouped stores a payload no CRM route concerns; see
// driver.DocumentLegacy. Nothing has to read its outcomes before the
// commit, so the payload can share a batch with others (groupSaver).
func (s *Store) SaveGrouped(ctx context.Context, docs []usher.Document, received time.Time) ([]usher.Outcome, error) {
	outcomes := make([]usher.Outcome, len(docs))
	if err := s.saves.save(ctx, docs, received, outcomes); err != nil {
		return nil, err
	}
	return outcomes, nil
}

// SaveDocuments stores docs and quarantines bad in one batch, one round
// trip; see driver.DocumentVerbs.
func (c conn) SaveDocuments(ctx context.Context, docs []usher.Document, bad []usher.QuarantinedDocument, received time.Time) (driver.Saved, error) {
	batch := &pgx.Batch{}
	// Not optimistic: this batch runs in the caller's transaction, which a
	// failed statement would end.
	plan, err := queueDocuments(batch, docs, receivedAll(received, len(docs)), false)
	if err != nil {
		return driver.Saved{}, err
	}
	for _, q := range bad {
		batch.Queue(queries.Get("Quarantine"), q.Institution, string(q.Stream), q.DocType, q.ExternalID, q.Hash, q.Raw,
			q.SchemaVersion, string(usher.ViolationsJSON(q.Violations)), received)
	}
	saved := driver.Saved{Outcomes: make([]usher.Outcome, len(docs))}
	results := c.q.(batchSender).SendBatch(ctx, batch)
	defer results.Close()
	if saved.Current, err = readOutcomes(results, docs, plan, saved.Outcomes); err != nil {
		return driver.Saved{}, err
	}
	for i, q := range bad {
		if _, err := results.Exec(); err != nil {
			return driver.Saved{}, fmt.Errorf("quarantine document %d (%s): %w", i, q.DocType, err)
		}
	}
	return saved, results.Close()
}

// batchSender is a connection pool or a transaction.
type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// sendDocuments sends the statements storing docs (document i received at
// received[i]) as one batch and fills outcomes. Through a pool, the batch
// is sent without BEGIN or COMMIT: PostgreSQL runs it as one implicit
// transaction, committed at its end, all or nothing, which saves two
// round trips (and the backend's work on each). sendDocuments closes the
// results, so it returns nil only once that commit has returned.
// Optimistic, see queueDocuments: a unique violation then says a document
// was stored already, and nothing of the batch was.
func sendDocuments(ctx context.Context, to batchSender, docs []usher.Document, received []time.Time, outcomes []usher.Outcome, optimistic bool) error {
	batch := &pgx.Batch{}
	plan, err := queueDocuments(batch, docs, received, optimistic)
	if err != nil {
		return err
	}
	results := to.SendBatch(ctx, batch)
	_, err = readOutcomes(results, docs, plan, outcomes)
	if cerr := results.Close(); err == nil {
		err = cerr
	}
	return err
}

// TicketCheckHashes reads stored check hashes; see driver.DocumentVerbs.
func (c conn) TicketCheckHashes(ctx context.Context, institution string, ids []int64) ([]driver.CheckHash, error) {
	return all(ctx, c.q, "TicketCheckHashes", func(r pgx.Row, h *driver.CheckHash) error { return r.Scan(&h.ID, &h.Hash) }, institution, ids)
}

// ListTicketChecks reads ticket checks; see driver.DocumentVerbs.
func (c conn) ListTicketChecks(ctx context.Context, institution, externalID string, limit int) ([]usher.Document, error) {
	if externalID == "" {
		return all(ctx, c.q, "ListTicketChecks", scanListed, institution, limit)
	}
	return all(ctx, c.q, "ListTicketChecksOf", scanListed, institution, limit, externalID)
}

// ListDocuments reads documents; see driver.DocumentVerbs.
func (c conn) ListDocuments(ctx context.Context, institution string, stream usher.Stream, externalID string, allVersions bool, limit int) ([]usher.Document, error) {
	name, args := "ListHeads", []any{institution, string(stream), limit}
	if allVersions {
		name = "ListVersions"
	}
	if externalID != "" {
		name, args = name+"Of", append(args, externalID)
	}
	return all(ctx, c.q, name, scanListed, args...)
}

func scanListed(r pgx.Row, d *usher.Document) error {
	var body string
	err := r.Scan(&d.ExternalID, &d.Version, &d.Hash, &body, &d.UpstreamUpdatedAt, &d.ReceivedAt)
	d.Raw = []byte(body)
	return err
}
