package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
)

// SaveDocuments stores docs in one transaction; see usher.DocumentStore.
func (s *Store) SaveDocuments(ctx context.Context, docs []usher.Document) ([]usher.Outcome, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	received := s.now().UTC()
	outcomes := make([]usher.Outcome, len(docs))
	if !s.routesAny(docs) {
		// Nothing has to read these outcomes before the commit, so the
		// payload can share a batch with others (groupSaver).
		if err := s.saves.save(ctx, docs, received, outcomes); err != nil {
			return nil, err
		}
		return outcomes, nil
	}
	err := s.inTx(ctx, "save documents", func(tx pgx.Tx) error {
		current, err := sendDocuments(ctx, tx, docs, receivedAll(received, len(docs)), outcomes)
		if err != nil {
			return err
		}
		if err := s.routeStored(ctx, tx, current, received); err != nil {
			return fmt.Errorf("crm deliveries: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return outcomes, nil
}

// routesAny says whether any of docs may go to a CRM.
func (s *Store) routesAny(docs []usher.Document) bool {
	for _, d := range docs {
		if len(s.routes.For(d.Institution, d.Stream)) > 0 {
			return true
		}
	}
	return false
}

// batchSender is a connection pool or a transaction.
type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// sendDocuments sends the statements storing docs (document i received at
// received[i]) as one batch, fills outcomes and returns the versions that
// became current. Through a pool, the batch is sent without BEGIN or
// COMMIT: PostgreSQL runs it as one implicit transaction, committed at its
// end, all or nothing, which saves two round trips (and the backend's work
// on each). sendDocuments closes the results, so it returns nil only once
// that commit has returned.
func sendDocuments(ctx context.Context, to batchSender, docs []usher.Document, received []time.Time, outcomes []usher.Outcome) ([]storedVersion, error) {
	batch := &pgx.Batch{}
	plan, err := queueDocuments(batch, docs, received)
	if err != nil {
		return nil, err
	}
	results := to.SendBatch(ctx, batch)
	current, err := readOutcomes(results, docs, plan, outcomes)
	if cerr := results.Close(); err == nil {
		err = cerr
	}
	return current, err
}

// FindDocuments lists documents; see usher.DocumentStore.
func (s *Store) FindDocuments(ctx context.Context, f usher.DocumentFilter) ([]usher.Document, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var q string
	args := []any{f.Institution}
	if f.Stream == usher.StreamTicketChecks {
		q = `SELECT ticket_check_id::text, 1, content_hash, body::text, access_time AT TIME ZONE 'UTC', received_at
			FROM ticket_checks WHERE institution = $1`
		if f.ExternalID != "" {
			q += ` AND ticket_check_id::text = $2`
			args = append(args, f.ExternalID)
		}
		q += fmt.Sprintf(` ORDER BY access_time DESC, ticket_check_id DESC LIMIT $%d`, len(args)+1)
	} else {
		from := `documents d JOIN document_heads h ON h.document_id = d.id`
		if f.AllVersions {
			from = `documents d`
		}
		q = `SELECT d.external_id, d.version, d.content_hash, d.body::text, d.upstream_updated_at, d.received_at
			FROM ` + from + ` WHERE d.institution = $1 AND d.stream = $2`
		args = append(args, string(f.Stream))
		if f.ExternalID != "" {
			q += ` AND d.external_id = $3`
			args = append(args, f.ExternalID)
		}
		q += fmt.Sprintf(` ORDER BY d.id DESC LIMIT $%d`, len(args)+1)
	}
	args = append(args, limit)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, unavailable("find documents", err)
	}
	defer rows.Close()
	var out []usher.Document
	for rows.Next() {
		d := usher.Document{Institution: f.Institution, Stream: f.Stream}
		var body string
		if err := rows.Scan(&d.ExternalID, &d.Version, &d.Hash, &body, &d.UpstreamUpdatedAt, &d.ReceivedAt); err != nil {
			return nil, unavailable("find documents", err)
		}
		d.Raw = json.RawMessage(body)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("find documents", err)
	}
	return out, nil
}
