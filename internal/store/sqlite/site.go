package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/usher-hub/usher"
)

// siteEventsSQL finds a day's sessions through the expression index of
// migration 005 (the day inside each stored session), so no stored JSON
// is parsed to filter, and keeps current versions only. The stream names
// are literals so that SQLite can prove the partial index applies;
// INDEXED BY and CROSS JOIN make it start from that day's sessions even
// before ANALYZE has run, rather than from every current session.
const siteEventsSQL = `
	SELECT d.external_id, d.version, d.content_hash, d.body, d.received_at,
		p.version, p.content_hash, p.body, p.received_at
	FROM documents d INDEXED BY documents_centaman_session_day
	CROSS JOIN document_heads h ON h.institution = d.institution AND h.stream = d.stream
		AND h.external_id = d.external_id AND h.document_id = d.id
	LEFT JOIN document_heads ph ON ph.institution = d.institution AND ph.stream = 'centaman.timed_ticket'
		AND ph.external_id = d.external_id
	LEFT JOIN documents p ON p.id = ph.document_id
	WHERE d.institution = ? AND d.stream = 'centaman.timed_ticket_type'
		AND substr(json_extract(d.body, '$.StartDate'), 1, 10) = ?
	ORDER BY json_extract(d.body, '$.StartTime'), CAST(d.external_id AS INTEGER)`

// SiteEvents reads one day's sessions from the local copy; see usher.SiteStore.
// The date and time are read inside the stored JSON, as the Centaman seed
// does with a cast of a JSON field, so the copy needs no extra columns.
func (s *Store) SiteEvents(ctx context.Context, institution, day string) ([]usher.EventDocuments, error) {
	rows, err := s.read.QueryContext(ctx, siteEventsSQL, institution, day)
	if err != nil {
		return nil, unavailable("site events", err)
	}
	defer rows.Close()
	var out []usher.EventDocuments
	for rows.Next() {
		e := usher.EventDocuments{Session: usher.Document{Institution: institution, Stream: usher.StreamCentamanTimedTicketType}}
		var body, received string
		var pVersion sql.NullInt64
		var pHash, pBody, pReceived sql.NullString
		if err := rows.Scan(&e.Session.ExternalID, &e.Session.Version, &e.Session.Hash, &body, &received,
			&pVersion, &pHash, &pBody, &pReceived); err != nil {
			return nil, unavailable("site events", err)
		}
		e.Session.Raw = json.RawMessage(body)
		e.Session.ReceivedAt = parseTime(received)
		if pBody.Valid {
			e.Prices = &usher.Document{Institution: institution, Stream: usher.StreamCentamanTimedTickets,
				ExternalID: e.Session.ExternalID, Version: int(pVersion.Int64), Hash: pHash.String,
				Raw: json.RawMessage(pBody.String), ReceivedAt: parseTime(pReceived.String)}
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
	return s.inWriteTx(ctx, "point heads", func(ctx context.Context, tx *sql.Tx) error {
		for _, d := range docs {
			_, err := tx.ExecContext(ctx, `UPDATE document_heads SET document_id = d.id, version = d.version
				FROM documents d
				WHERE document_heads.institution = ? AND document_heads.stream = ? AND document_heads.external_id = ?
					AND d.institution = document_heads.institution AND d.stream = document_heads.stream
					AND d.external_id = document_heads.external_id AND d.content_hash = ?
					AND document_heads.document_id <> d.id`,
				d.Institution, string(d.Stream), d.ExternalID, d.Hash)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// RecordSync stores the state of one stream's copy; see usher.SiteStore.
func (s *Store) RecordSync(ctx context.Context, r usher.SyncRecord) error {
	var success any
	if !r.LastSuccessAt.IsZero() {
		success = formatTime(r.LastSuccessAt)
	}
	_, err := s.execWrite(ctx, "record sync", `INSERT INTO site_sync_state
		(institution, stream, last_attempt_at, last_success_at, last_error, documents)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (institution, stream) DO UPDATE SET
			last_attempt_at = excluded.last_attempt_at,
			last_success_at = coalesce(excluded.last_success_at, site_sync_state.last_success_at),
			last_error = excluded.last_error,
			documents = CASE WHEN excluded.last_success_at IS NULL THEN site_sync_state.documents ELSE excluded.documents END`,
		r.Institution, string(r.Stream), formatTime(r.LastAttemptAt), success, r.LastError, r.Documents)
	return err
}

// SyncRecords lists an institution's sync state; see usher.SiteStore.
func (s *Store) SyncRecords(ctx context.Context, institution string) ([]usher.SyncRecord, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT stream, last_attempt_at, last_success_at, last_error, documents
		FROM site_sync_state WHERE institution = ? ORDER BY stream`, institution)
	if err != nil {
		return nil, unavailable("sync records", err)
	}
	defer rows.Close()
	var out []usher.SyncRecord
	for rows.Next() {
		r := usher.SyncRecord{Institution: institution}
		var stream, attempt string
		var success sql.NullString
		if err := rows.Scan(&stream, &attempt, &success, &r.LastError, &r.Documents); err != nil {
			return nil, unavailable("sync records", err)
		}
		r.Stream = usher.Stream(stream)
		r.LastAttemptAt = parseTime(attempt)
		if success.Valid {
			r.LastSuccessAt = parseTime(success.String)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("sync records", err)
	}
	return out, nil
}

const holdColumns = `id, institution, visitor, event_id, event_date, lines, status, expires_at, upstream_expires_at, created_at, updated_at`

// CreateHold stores a new active hold; see usher.SiteStore.
func (s *Store) CreateHold(ctx context.Context, h usher.Hold) error {
	lines, err := json.Marshal(h.Lines)
	if err != nil {
		return err
	}
	return s.inWriteTx(ctx, "create hold", func(ctx context.Context, tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM site_holds
			WHERE institution = ? AND visitor = ? AND event_id = ? AND status = 'active'`,
			h.Institution, h.Visitor, h.EventID).Scan(&one)
		if err == nil {
			return usher.Errorf(usher.ECONFLICT, "visitor already holds tickets for session %d", h.EventID)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO site_holds (`+holdColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			h.ID, h.Institution, h.Visitor, h.EventID, h.EventDate, string(lines), string(h.Status),
			formatTime(h.ExpiresAt), formatTime(h.UpstreamExpiresAt), formatTime(h.CreatedAt), formatTime(h.UpdatedAt))
		return err
	})
}

// UpdateHold saves a hold's lines, status and times; see usher.SiteStore.
func (s *Store) UpdateHold(ctx context.Context, h usher.Hold) error {
	lines, err := json.Marshal(h.Lines)
	if err != nil {
		return err
	}
	n, err := s.execWrite(ctx, "update hold", `UPDATE site_holds SET lines = ?, status = ?, expires_at = ?,
		upstream_expires_at = ?, updated_at = ? WHERE institution = ? AND id = ?`,
		string(lines), string(h.Status), formatTime(h.ExpiresAt), formatTime(h.UpstreamExpiresAt),
		formatTime(h.UpdatedAt), h.Institution, h.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return usher.ErrNotFound
	}
	return nil
}

// FindHold returns a hold by id; see usher.SiteStore.
func (s *Store) FindHold(ctx context.Context, institution, id string) (usher.Hold, error) {
	return s.oneHold(ctx, `SELECT `+holdColumns+` FROM site_holds WHERE institution = ? AND id = ?`, institution, id)
}

// ActiveHold returns a visitor's active hold on a session; see usher.SiteStore.
func (s *Store) ActiveHold(ctx context.Context, institution, visitor string, eventID int64) (usher.Hold, error) {
	return s.oneHold(ctx, `SELECT `+holdColumns+` FROM site_holds
		WHERE institution = ? AND visitor = ? AND event_id = ? AND status = 'active'`, institution, visitor, eventID)
}

// HoldsExpiredBy lists active holds past their expiry; see usher.SiteStore.
func (s *Store) HoldsExpiredBy(ctx context.Context, t time.Time, limit int) ([]usher.Hold, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+holdColumns+` FROM site_holds
		WHERE status = 'active' AND expires_at <= ? ORDER BY expires_at LIMIT ?`, formatTime(t), limit)
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
	h, err := scanHold(s.read.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return h, usher.ErrNotFound
	}
	if err != nil {
		return h, unavailable("find hold", err)
	}
	return h, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanHold(row scanner) (usher.Hold, error) {
	var h usher.Hold
	var lines, status, expires, upstream, created, updated string
	if err := row.Scan(&h.ID, &h.Institution, &h.Visitor, &h.EventID, &h.EventDate, &lines, &status,
		&expires, &upstream, &created, &updated); err != nil {
		return h, err
	}
	if err := json.Unmarshal([]byte(lines), &h.Lines); err != nil {
		return h, fmt.Errorf("hold %s lines: %w", h.ID, err)
	}
	h.Status = usher.HoldStatus(status)
	h.ExpiresAt, h.UpstreamExpiresAt = parseTime(expires), parseTime(upstream)
	h.CreatedAt, h.UpdatedAt = parseTime(created), parseTime(updated)
	return h, nil
}
