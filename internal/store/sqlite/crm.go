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

// RouteDeliveries sets the CRM delivery routes; see usher.CRMStore.
func (s *Store) RouteDeliveries(routes []usher.DeliveryRoute) { s.routes.Set(routes) }

// routeStored enqueues the CRM deliveries of a document version that
// just became current, inside the transaction that stored it, unless it
// is the echo of a write usher made for the CRM.
func (s *Store) routeStored(ctx context.Context, tx *sql.Tx, d usher.Document, version int, now time.Time) error {
	routes := s.routes.For(d.Institution, d.Stream)
	if len(routes) == 0 {
		return nil
	}
	conflict := false
	if d.Stream == usher.StreamContacts {
		var echo bool
		var err error
		echo, conflict, err = checkEcho(ctx, tx, d, version, now)
		if err != nil || echo {
			return err
		}
	}
	for _, r := range routes {
		nj := usher.NewDelivery(r, d, version, conflict)
		_, err := tx.ExecContext(ctx, `INSERT INTO outbox_jobs
			(tracking_id, institution, kind, order_key, idempotency_key, payload, state, max_attempts, run_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)
			ON CONFLICT (institution, kind, idempotency_key) DO NOTHING`,
			usher.NewTrackingID(), nj.Institution, nj.Kind, nj.OrderKey, nj.IdempotencyKey, string(nj.Payload),
			nj.MaxAttempts, formatTime(now), formatTime(now), formatTime(now))
		if err != nil {
			return err
		}
	}
	return nil
}

// checkEcho settles the pending echo marks of a contact against a new
// version. A mark matches when nothing but echoes of usher's own writes
// was stored since the version the write built on, and the new version
// changes only what the write sent (usher.IsEcho): the first match is
// suppressed. If none matches, S-360 changed the contact on its own while
// usher wrote it, and every pending mark becomes a conflict so that the
// merged result reaches the CRM.
// It reports whether the version is an echo, and whether it is a conflict.
func checkEcho(ctx context.Context, tx *sql.Tx, d usher.Document, version int, now time.Time) (echo, conflict bool, err error) {
	marks, err := pendingMarks(ctx, tx, d.Institution, d.ExternalID, now)
	if err != nil || len(marks) == 0 {
		return false, false, err
	}
	var prev json.RawMessage
	if version > 1 {
		var body string
		// CAST: see saveVersioned.
		err := tx.QueryRowContext(ctx, `SELECT body FROM documents
			WHERE institution = ? AND stream = CAST(? AS TEXT) AND external_id = ? AND version = ?`,
			d.Institution, d.Stream, d.ExternalID, version-1).Scan(&body)
		if err != nil {
			return false, false, fmt.Errorf("previous version: %w", err)
		}
		prev = json.RawMessage(body)
	}
	for _, m := range marks {
		if m.base > version-1 {
			continue
		}
		var echoes int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM crm_echo_marks
			WHERE institution = ? AND contact_number = ? AND outcome = 'suppressed' AND echo_version > ? AND echo_version < ?`,
			d.Institution, d.ExternalID, m.base, version).Scan(&echoes)
		if err != nil {
			return false, false, err
		}
		if echoes != version-1-m.base || !usher.IsEcho(prev, d.Raw, m.sent) {
			continue
		}
		_, err = tx.ExecContext(ctx, `UPDATE crm_echo_marks SET outcome = 'suppressed', echo_version = ? WHERE id = ?`, version, m.id)
		return true, false, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE crm_echo_marks SET outcome = 'conflict'
		WHERE institution = ? AND contact_number = ? AND outcome = 'pending' AND expires_at > ?`,
		d.Institution, d.ExternalID, formatTime(now))
	return false, true, err
}

type pendingMark struct {
	id   int64
	base int
	sent json.RawMessage
}

func pendingMarks(ctx context.Context, tx *sql.Tx, institution, contact string, now time.Time) ([]pendingMark, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, base_version, sent FROM crm_echo_marks
		WHERE institution = ? AND contact_number = ? AND outcome = 'pending' AND expires_at > ?
		ORDER BY id`, institution, contact, formatTime(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pendingMark
	for rows.Next() {
		var m pendingMark
		var sent string
		if err := rows.Scan(&m.id, &m.base, &sent); err != nil {
			return nil, err
		}
		m.sent = json.RawMessage(sent)
		out = append(out, m)
	}
	return out, rows.Err()
}

// DocumentVersion returns one stored version; see usher.CRMStore.
func (s *Store) DocumentVersion(ctx context.Context, institution string, stream usher.Stream, externalID string, version int) (usher.Document, int, error) {
	d := usher.Document{Institution: institution, Stream: stream, ExternalID: externalID, Version: version}
	var body, received string
	var upstream sql.NullString
	var head sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT d.content_hash, d.body, d.upstream_updated_at, d.received_at,
		(SELECT h.version FROM document_heads h WHERE h.institution = d.institution AND h.stream = d.stream AND h.external_id = d.external_id)
		FROM documents d WHERE d.institution = ? AND d.stream = CAST(? AS TEXT) AND d.external_id = ? AND d.version = ?`,
		institution, stream, externalID, version).Scan(&d.Hash, &body, &upstream, &received, &head)
	if errors.Is(err, sql.ErrNoRows) {
		return d, 0, usher.Errorf(usher.ENOTFOUND, "no version %d of %s %s", version, stream, externalID)
	}
	if err != nil {
		return d, 0, unavailable("document version", err)
	}
	d.Raw = json.RawMessage(body)
	d.UpstreamUpdatedAt = parseTimeNull(upstream)
	d.ReceivedAt = parseTime(received)
	return d, int(head.Int64), nil
}

// ContactSyncState returns what usher holds of a contact; see usher.CRMStore.
func (s *Store) ContactSyncState(ctx context.Context, institution, contactNumber string) (usher.ContactSyncState, error) {
	var st usher.ContactSyncState
	var head sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT version FROM document_heads
		WHERE institution = ? AND stream = ? AND external_id = ?`, institution, usher.StreamContacts, contactNumber).Scan(&head)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, unavailable("contact sync state", err)
	}
	st.HeadVersion = int(head.Int64)
	for _, dest := range s.routes.Destinations(institution, usher.StreamContacts) {
		var n int
		err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM outbox_jobs
			WHERE institution = ? AND order_key = ? AND state IN ('queued', 'inflight')`,
			institution, usher.DeliveryOrderKey(dest, usher.StreamContacts, contactNumber)).Scan(&n)
		if err != nil {
			return st, unavailable("contact sync state", err)
		}
		st.PendingDeliveries += n
	}
	return st, nil
}

// MarkEcho records a write made for the CRM; see usher.CRMStore. Marking
// the same job twice (its retry after a crash) keeps the first mark.
func (s *Store) MarkEcho(ctx context.Context, m usher.EchoMark) error {
	return s.inWriteTx(ctx, "mark echo", func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO crm_echo_marks
			(institution, contact_number, sent, base_version, job_id, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (institution, job_id) DO NOTHING`,
			m.Institution, m.ContactNumber, string(m.Sent), m.BaseVersion, m.JobID,
			formatTime(m.CreatedAt), formatTime(m.ExpiresAt))
		return err
	})
}

// CountEchoes counts echo marks; see usher.CRMStore.
func (s *Store) CountEchoes(ctx context.Context) ([]usher.EchoCount, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT institution, outcome, count(*) FROM crm_echo_marks
		GROUP BY institution, outcome ORDER BY institution, outcome`)
	if err != nil {
		return nil, unavailable("count echoes", err)
	}
	defer rows.Close()
	var out []usher.EchoCount
	for rows.Next() {
		var c usher.EchoCount
		if err := rows.Scan(&c.Institution, &c.Outcome, &c.Count); err != nil {
			return nil, unavailable("count echoes", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("count echoes", err)
	}
	return out, nil
}

// PruneEchoes deletes expired marks; see usher.CRMStore.
func (s *Store) PruneEchoes(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := s.inWriteTx(ctx, "prune echoes", func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM crm_echo_marks WHERE expires_at < ?`, formatTime(cutoff))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
