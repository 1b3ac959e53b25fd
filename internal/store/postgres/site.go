package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
)

// siteEventsSQL finds a day's sessions through the expression index of
// migration 005 (the day inside each stored session), then keeps current
// versions only. The stream names are literals so that the planner can
// prove the partial index applies, also with a generic plan.
const siteEventsSQL = `
	SELECT d.external_id, d.version, d.content_hash, d.body::text, d.received_at,
		p.version, p.content_hash, p.body::text, p.received_at
	FROM documents d
	JOIN document_heads h ON h.institution = d.institution AND h.stream = d.stream
		AND h.external_id = d.external_id AND h.document_id = d.id
	LEFT JOIN document_heads ph ON ph.institution = d.institution AND ph.stream = 'centaman.timed_ticket'
		AND ph.external_id = d.external_id
	LEFT JOIN documents p ON p.id = ph.document_id
	WHERE d.institution = $1 AND d.stream = 'centaman.timed_ticket_type'
		AND left(d.body->>'StartDate', 10) = $2
	ORDER BY d.body->>'StartTime', d.external_id::bigint`

// SiteEvents reads one day's sessions from the local copy; see usher.SiteStore.
// The date and time are read inside the JSONB document, as the Centaman
// seed does with a cast of a JSON field, so the copy needs no extra columns.
func (s *Store) SiteEvents(ctx context.Context, institution, day string) ([]usher.EventDocuments, error) {
	rows, err := s.pool.Query(ctx, siteEventsSQL, institution, day)
	if err != nil {
		return nil, unavailable("site events", err)
	}
	defer rows.Close()
	var out []usher.EventDocuments
	for rows.Next() {
		e := usher.EventDocuments{Session: usher.Document{Institution: institution, Stream: usher.StreamCentamanTimedTicketType}}
		var body string
		var pVersion *int
		var pHash, pBody *string
		var pReceived *time.Time
		if err := rows.Scan(&e.Session.ExternalID, &e.Session.Version, &e.Session.Hash, &body, &e.Session.ReceivedAt,
			&pVersion, &pHash, &pBody, &pReceived); err != nil {
			return nil, unavailable("site events", err)
		}
		e.Session.Raw = json.RawMessage(body)
		if pBody != nil {
			e.Prices = &usher.Document{Institution: institution, Stream: usher.StreamCentamanTimedTickets,
				ExternalID: e.Session.ExternalID, Version: *pVersion, Hash: *pHash,
				Raw: json.RawMessage(*pBody), ReceivedAt: *pReceived}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("site events", err)
	}
	return out, nil
}

// PointHeads makes each document's stored version current; see usher.SiteStore.
func (s *Store) PointHeads(ctx context.Context, docs []usher.Document) error {
	batch := &pgx.Batch{}
	for _, d := range docs {
		batch.Queue(`UPDATE document_heads h SET document_id = d.id, version = d.version
			FROM documents d
			WHERE h.institution = $1 AND h.stream = $2 AND h.external_id = $3
				AND d.institution = h.institution AND d.stream = h.stream AND d.external_id = h.external_id
				AND d.content_hash = $4 AND h.document_id <> d.id`,
			d.Institution, string(d.Stream), d.ExternalID, d.Hash)
	}
	if err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, batch).Close() }); err != nil {
		return unavailable("point heads", err)
	}
	return nil
}

// RecordSync stores the state of one stream's copy; see usher.SiteStore.
func (s *Store) RecordSync(ctx context.Context, r usher.SyncRecord) error {
	var success *time.Time
	if !r.LastSuccessAt.IsZero() {
		success = &r.LastSuccessAt
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO site_sync_state
		(institution, stream, last_attempt_at, last_success_at, last_error, documents)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (institution, stream) DO UPDATE SET
			last_attempt_at = excluded.last_attempt_at,
			last_success_at = coalesce(excluded.last_success_at, site_sync_state.last_success_at),
			last_error = excluded.last_error,
			documents = CASE WHEN excluded.last_success_at IS NULL THEN site_sync_state.documents ELSE excluded.documents END`,
		r.Institution, string(r.Stream), r.LastAttemptAt, success, r.LastError, r.Documents)
	if err != nil {
		return unavailable("record sync", err)
	}
	return nil
}

// SyncRecords lists an institution's sync state; see usher.SiteStore.
func (s *Store) SyncRecords(ctx context.Context, institution string) ([]usher.SyncRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT stream, last_attempt_at, last_success_at, last_error, documents
		FROM site_sync_state WHERE institution = $1 ORDER BY stream`, institution)
	if err != nil {
		return nil, unavailable("sync records", err)
	}
	defer rows.Close()
	var out []usher.SyncRecord
	for rows.Next() {
		r := usher.SyncRecord{Institution: institution}
		var stream string
		var success *time.Time
		if err := rows.Scan(&stream, &r.LastAttemptAt, &success, &r.LastError, &r.Documents); err != nil {
			return nil, unavailable("sync records", err)
		}
		r.Stream = usher.Stream(stream)
		if success != nil {
			r.LastSuccessAt = *success
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("sync records", err)
	}
	return out, nil
}

const holdColumns = `id, institution, visitor, event_id, event_date, lines::text, status, expires_at, upstream_expires_at, created_at, updated_at`

// CreateHold stores a new active hold; see usher.SiteStore. The partial
// unique index on active holds makes two racing requests of one visitor
// end with one hold and one conflict, whatever the replica.
func (s *Store) CreateHold(ctx context.Context, h usher.Hold) error {
	lines, err := json.Marshal(h.Lines)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO site_holds
		(id, institution, visitor, event_id, event_date, lines, status, expires_at, upstream_expires_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11)
		ON CONFLICT (institution, visitor, event_id) WHERE status = 'active' DO NOTHING`,
		h.ID, h.Institution, h.Visitor, h.EventID, h.EventDate, string(lines), string(h.Status),
		h.ExpiresAt, h.UpstreamExpiresAt, h.CreatedAt, h.UpdatedAt)
	if err != nil {
		return unavailable("create hold", err)
	}
	if tag.RowsAffected() == 0 {
		return usher.Errorf(usher.ECONFLICT, "visitor already holds tickets for session %d", h.EventID)
	}
	return nil
}

// UpdateHold saves a hold's lines, status and times; see usher.SiteStore.
func (s *Store) UpdateHold(ctx context.Context, h usher.Hold) error {
	lines, err := json.Marshal(h.Lines)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE site_holds SET lines = $1::jsonb, status = $2, expires_at = $3,
		upstream_expires_at = $4, updated_at = $5 WHERE institution = $6 AND id = $7`,
		string(lines), string(h.Status), h.ExpiresAt, h.UpstreamExpiresAt, h.UpdatedAt, h.Institution, h.ID)
	if err != nil {
		return unavailable("update hold", err)
	}
	if tag.RowsAffected() == 0 {
		return usher.ErrNotFound
	}
	return nil
}

// FindHold returns a hold by id; see usher.SiteStore.
func (s *Store) FindHold(ctx context.Context, institution, id string) (usher.Hold, error) {
	return s.oneHold(ctx, `SELECT `+holdColumns+` FROM site_holds WHERE institution = $1 AND id = $2`, institution, id)
}

// ActiveHold returns a visitor's active hold on a session; see usher.SiteStore.
func (s *Store) ActiveHold(ctx context.Context, institution, visitor string, eventID int64) (usher.Hold, error) {
	return s.oneHold(ctx, `SELECT `+holdColumns+` FROM site_holds
		WHERE institution = $1 AND visitor = $2 AND event_id = $3 AND status = 'active'`, institution, visitor, eventID)
}

// HoldsExpiredBy lists active holds past their expiry; see usher.SiteStore.
func (s *Store) HoldsExpiredBy(ctx context.Context, t time.Time, limit int) ([]usher.Hold, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+holdColumns+` FROM site_holds
		WHERE status = 'active' AND expires_at <= $1 ORDER BY expires_at LIMIT $2`, t, limit)
	if err != nil {
		return nil, unavailable("expired holds", err)
	}
	defer rows.Close()
	var out []usher.Hold
	for rows.Next() {
		h, err := scanHold(rows)
		if err != nil {
			return nil, unavailable("expired holds", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("expired holds", err)
	}
	return out, nil
}

func (s *Store) oneHold(ctx context.Context, q string, args ...any) (usher.Hold, error) {
	h, err := scanHold(s.pool.QueryRow(ctx, q, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return h, usher.ErrNotFound
	}
	if err != nil {
		return h, unavailable("find hold", err)
	}
	return h, nil
}

func scanHold(row pgx.Row) (usher.Hold, error) {
	var h usher.Hold
	var lines, status string
	if err := row.Scan(&h.ID, &h.Institution, &h.Visitor, &h.EventID, &h.EventDate, &lines, &status,
		&h.ExpiresAt, &h.UpstreamExpiresAt, &h.CreatedAt, &h.UpdatedAt); err != nil {
		return h, err
	}
	if err := json.Unmarshal([]byte(lines), &h.Lines); err != nil {
		return h, fmt.Errorf("hold %s lines: %w", h.ID, err)
	}
	h.Status = usher.HoldStatus(status)
	return h, nil
}
