package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
)

// saveVersionedSQL stores a new version unless the same content is already
// stored, and moves the head forward in upstream time, in one statement.
// It returns whether it inserted and the version that became current (0 if
// none did: a late old version is kept in history, and not delivered to a
// CRM). A payload goes through it one document at a time only when an
// external id repeats in it, so that each version sees the one before;
// otherwise saveVersionsSQL (documents_batch.go) stores all its contacts
// and orders at once.
//
// It leaves the planner no index to choose wrongly where it can: the
// duplicate check is the ON CONFLICT arbiter (the content-hash unique
// index), and a new id, the common case and every one of a first
// synchronisation, is recognised by the head's primary key. Only a new
// version of a known id looks up its highest version in documents. Without
// planner statistics (a new database before autovacuum's first ANALYZE,
// or autovacuum off) the cached generic plan of such a lookup may scan the
// (institution, stream, received_at) index instead, once per document, so
// that a first synchronisation slowed down as it went (docs/performance.md).
//
// A new contact or order version is queued for the analytics projector.
const saveVersionedSQL = `
WITH ins AS (
	INSERT INTO documents (institution, stream, external_id, version, content_hash, body, upstream_updated_at, received_at)
	SELECT $1, $2, $3,
		CASE WHEN EXISTS (SELECT 1 FROM document_heads WHERE institution = $1 AND stream = $2 AND external_id = $3)
			THEN (SELECT max(version) FROM documents WHERE institution = $1 AND stream = $2 AND external_id = $3) + 1
			ELSE 1 END,
		$4, $5::jsonb, $6::timestamptz, $7::timestamptz
	ON CONFLICT (institution, stream, external_id, content_hash) DO NOTHING
	RETURNING id, version
), head AS (
	INSERT INTO document_heads (institution, stream, external_id, document_id, version, upstream_updated_at)
	SELECT $1, $2, $3, id, version, $6::timestamptz FROM ins
	ON CONFLICT (institution, stream, external_id) DO UPDATE SET
		document_id = excluded.document_id,
		version = excluded.version,
		upstream_updated_at = excluded.upstream_updated_at
	WHERE excluded.upstream_updated_at IS NULL
		OR document_heads.upstream_updated_at IS NULL
		OR excluded.upstream_updated_at >= document_heads.upstream_updated_at
	RETURNING version
), queued AS (
	INSERT INTO analytics_pending (institution, kind, ids)
	SELECT $1, $2, ARRAY[id] FROM ins WHERE $2 IN ('contacts', 'orders')
)
SELECT (SELECT count(*) FROM ins), coalesce((SELECT version FROM head), 0)`

// SaveDocuments stores docs in one transaction and one round trip; see
// usher.DocumentStore.
func (s *Store) SaveDocuments(ctx context.Context, docs []usher.Document) ([]usher.Outcome, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	received := s.now().UTC()
	outcomes := make([]usher.Outcome, len(docs))
	err := s.inTx(ctx, "save documents", func(tx pgx.Tx) error {
		batch := &pgx.Batch{}
		plan, err := queueDocuments(batch, docs, received)
		if err != nil {
			return err
		}
		results := tx.SendBatch(ctx, batch)
		current, err := readOutcomes(results, docs, plan, outcomes)
		if err != nil {
			results.Close()
			return err
		}
		if err := results.Close(); err != nil {
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
