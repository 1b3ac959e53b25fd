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

// RouteDeliveries sets the CRM delivery routes; see usher.CRMStore.
func (s *Store) RouteDeliveries(routes []usher.DeliveryRoute) { s.routes.Set(routes) }

// storedVersion is a document version SaveDocuments stored and made
// current: a candidate for CRM delivery.
type storedVersion struct {
	doc     usher.Document
	version int
}

// routeStored enqueues the CRM deliveries of versions that just became
// current, inside the transaction that stored them, except echoes of
// writes usher made for the CRM. Contacts with no pending echo mark (the
// usual case) cost one query for the lot.
func (s *Store) routeStored(ctx context.Context, tx pgx.Tx, stored []storedVersion, now time.Time) error {
	var routed []storedVersion
	var contacts []string
	for _, sv := range stored {
		if len(s.routes.For(sv.doc.Institution, sv.doc.Stream)) == 0 {
			continue
		}
		routed = append(routed, sv)
		if sv.doc.Stream == usher.StreamContacts {
			contacts = append(contacts, sv.doc.ExternalID)
		}
	}
	if len(routed) == 0 {
		return nil
	}
	marked, err := markedContacts(ctx, tx, contacts, now)
	if err != nil {
		return err
	}
	batch := &pgx.Batch{}
	for _, sv := range routed {
		conflict := false
		if sv.doc.Stream == usher.StreamContacts && marked[[2]string{sv.doc.Institution, sv.doc.ExternalID}] {
			var echo bool
			var err error
			echo, conflict, err = checkEcho(ctx, tx, sv.doc, sv.version, now)
			if err != nil {
				return err
			}
			if echo {
				continue
			}
		}
		for _, r := range s.routes.For(sv.doc.Institution, sv.doc.Stream) {
			nj := usher.NewDelivery(r, sv.doc, sv.version, conflict)
			batch.Queue(enqueueSQL, usher.NewTrackingID(), nj.Institution, nj.Kind, nj.OrderKey,
				nj.IdempotencyKey, string(nj.Payload), nj.MaxAttempts, now, now)
		}
	}
	if batch.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, batch).Close()
}

// markedContacts returns which of the stored contacts have a pending
// echo mark, keyed by institution and contact number.
func markedContacts(ctx context.Context, tx pgx.Tx, contacts []string, now time.Time) (map[[2]string]bool, error) {
	if len(contacts) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT institution, contact_number FROM crm_echo_marks
		WHERE contact_number = ANY($1) AND outcome = 'pending' AND expires_at > $2`, contacts, now)
	if err != nil {
		return nil, err
	}
	pairs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var p [2]string
		err := r.Scan(&p[0], &p[1])
		return p, err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[[2]string]bool, len(pairs))
	for _, p := range pairs {
		out[p] = true
	}
	return out, nil
}

// checkEcho settles the pending echo marks of a contact against a new
// version. A mark matches when nothing but echoes of usher's own writes
// was stored since the version the write built on, and the new version
// changes only what the write sent (usher.IsEcho): the first match is
// suppressed. If none matches, S-360 changed the contact on its own while
// usher wrote it, and every pending mark becomes a conflict so that the
// merged result reaches the CRM.
// It reports whether the version is an echo, and whether it is a conflict.
func checkEcho(ctx context.Context, tx pgx.Tx, d usher.Document, version int, now time.Time) (echo, conflict bool, err error) {
	rows, err := tx.Query(ctx, `SELECT id, base_version, sent::text FROM crm_echo_marks
		WHERE institution = $1 AND contact_number = $2 AND outcome = 'pending' AND expires_at > $3
		ORDER BY id FOR UPDATE`, d.Institution, d.ExternalID, now)
	if err != nil {
		return false, false, err
	}
	type mark struct {
		id   int64
		base int
		sent string
	}
	marks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (mark, error) {
		var m mark
		err := r.Scan(&m.id, &m.base, &m.sent)
		return m, err
	})
	if err != nil {
		return false, false, err
	}
	var prev json.RawMessage
	if version > 1 {
		var body string
		err := tx.QueryRow(ctx, `SELECT body::text FROM documents
			WHERE institution = $1 AND stream = $2 AND external_id = $3 AND version = $4`,
			d.Institution, string(d.Stream), d.ExternalID, version-1).Scan(&body)
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
		err := tx.QueryRow(ctx, `SELECT count(*) FROM crm_echo_marks
			WHERE institution = $1 AND contact_number = $2 AND outcome = 'suppressed' AND echo_version > $3 AND echo_version < $4`,
			d.Institution, d.ExternalID, m.base, version).Scan(&echoes)
		if err != nil {
			return false, false, err
		}
		if echoes != version-1-m.base || !usher.IsEcho(prev, d.Raw, json.RawMessage(m.sent)) {
			continue
		}
		_, err = tx.Exec(ctx, `UPDATE crm_echo_marks SET outcome = 'suppressed', echo_version = $1 WHERE id = $2`, version, m.id)
		return true, false, err
	}
	_, err = tx.Exec(ctx, `UPDATE crm_echo_marks SET outcome = 'conflict'
		WHERE institution = $1 AND contact_number = $2 AND outcome = 'pending' AND expires_at > $3`,
		d.Institution, d.ExternalID, now)
	return false, true, err
}

// DocumentVersion returns one stored version; see usher.CRMStore.
func (s *Store) DocumentVersion(ctx context.Context, institution string, stream usher.Stream, externalID string, version int) (usher.Document, int, error) {
	d := usher.Document{Institution: institution, Stream: stream, ExternalID: externalID, Version: version}
	var body string
	var head *int
	err := s.pool.QueryRow(ctx, `SELECT d.content_hash, d.body::text, d.upstream_updated_at, d.received_at,
		(SELECT h.version FROM document_heads h WHERE h.institution = d.institution AND h.stream = d.stream AND h.external_id = d.external_id)
		FROM documents d WHERE d.institution = $1 AND d.stream = $2 AND d.external_id = $3 AND d.version = $4`,
		institution, string(stream), externalID, version).Scan(&d.Hash, &body, &d.UpstreamUpdatedAt, &d.ReceivedAt, &head)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, 0, usher.Errorf(usher.ENOTFOUND, "no version %d of %s %s", version, stream, externalID)
	}
	if err != nil {
		return d, 0, unavailable("document version", err)
	}
	d.Raw = json.RawMessage(body)
	if head == nil {
		return d, 0, nil
	}
	return d, *head, nil
}

// ContactSyncState returns what usher holds of a contact; see usher.CRMStore.
func (s *Store) ContactSyncState(ctx context.Context, institution, contactNumber string) (usher.ContactSyncState, error) {
	var st usher.ContactSyncState
	keys := []string{}
	for _, dest := range s.routes.Destinations(institution, usher.StreamContacts) {
		keys = append(keys, usher.DeliveryOrderKey(dest, usher.StreamContacts, contactNumber))
	}
	err := s.pool.QueryRow(ctx, `SELECT
		coalesce((SELECT version FROM document_heads WHERE institution = $1 AND stream = $2 AND external_id = $3), 0),
		(SELECT count(*) FROM outbox_jobs WHERE institution = $1 AND order_key = ANY($4) AND state IN ('queued', 'inflight'))`,
		institution, string(usher.StreamContacts), contactNumber, keys).Scan(&st.HeadVersion, &st.PendingDeliveries)
	if err != nil {
		return st, unavailable("contact sync state", err)
	}
	return st, nil
}

// MarkEcho records a write made for the CRM; see usher.CRMStore. Marking
// the same job twice (its retry after a crash) keeps the first mark.
func (s *Store) MarkEcho(ctx context.Context, m usher.EchoMark) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO crm_echo_marks
		(institution, contact_number, sent, base_version, job_id, created_at, expires_at)
		VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7) ON CONFLICT (institution, job_id) DO NOTHING`,
		m.Institution, m.ContactNumber, string(m.Sent), m.BaseVersion, m.JobID, m.CreatedAt, m.ExpiresAt)
	if err != nil {
		return unavailable("mark echo", err)
	}
	return nil
}

// CountEchoes counts echo marks; see usher.CRMStore.
func (s *Store) CountEchoes(ctx context.Context) ([]usher.EchoCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT institution, outcome, count(*) FROM crm_echo_marks
		GROUP BY institution, outcome ORDER BY institution, outcome`)
	if err != nil {
		return nil, unavailable("count echoes", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (usher.EchoCount, error) {
		var c usher.EchoCount
		err := r.Scan(&c.Institution, &c.Outcome, &c.Count)
		return c, err
	})
	if err != nil {
		return nil, unavailable("count echoes", err)
	}
	return out, nil
}

// PruneEchoes deletes expired marks; see usher.CRMStore.
func (s *Store) PruneEchoes(ctx context.Context, cutoff time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM crm_echo_marks WHERE expires_at < $1`, cutoff)
	if err != nil {
		return 0, unavailable("prune echoes", err)
	}
	return int(tag.RowsAffected()), nil
}
