package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/usher-hub/usher"
)

// SaveDocuments stores docs in one transaction; see usher.DocumentStore.
func (s *Store) SaveDocuments(ctx context.Context, docs []usher.Document) ([]usher.Outcome, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	now := s.now()
	received := formatTime(now)
	var outcomes []usher.Outcome
	err := s.inWriteTx(ctx, "save documents", func(ctx context.Context, sqlTx *sql.Tx) error {
		tx := newStmtTx(sqlTx)
		outcomes = make([]usher.Outcome, len(docs))
		var stored analyticsQueue
		bySet := setWise(docs)
		for i, d := range docs {
			var err error
			switch {
			case d.Stream == usher.StreamTicketChecks:
				outcomes[i], err = saveCheck(ctx, tx, d, received, &stored)
			case !bySet:
				outcomes[i], err = s.saveVersioned(ctx, tx, d, now, &stored)
			}
			if err != nil {
				return fmt.Errorf("document %d (%s %s): %w", i, d.Stream, d.ExternalID, err)
			}
		}
		if bySet {
			if err := s.saveVersions(ctx, tx, docs, now, outcomes, &stored); err != nil {
				return err
			}
		}
		return stored.queue(ctx, tx, received)
	})
	return outcomes, err
}

// inWriteTx runs fn in a write transaction and returns once it is
// committed; fn's writes are then durable. fn may share its transaction
// with other writers' (group commit, see groupWriter) but is atomic on its
// own: if it fails, none of its writes remain. Any failure is reported as
// EUNAVAILABLE, since what can fail here is the database itself (disk
// full, read-only file, lock).
func (s *Store) inWriteTx(ctx context.Context, op string, fn func(context.Context, *sql.Tx) error) error {
	err := s.writer.do(ctx, fn)
	if err == nil {
		return nil
	}
	if usher.ErrorCode(err) != usher.EINTERNAL {
		return err
	}
	return unavailable(op, err)
}

// saveCheck stores a ticket check and adds it to stored if it is new.
func saveCheck(ctx context.Context, tx *stmtTx, d usher.Document, received string, stored *analyticsQueue) (usher.Outcome, error) {
	c := d.Check
	if c == nil {
		return "", usher.Errorf(usher.EINVALID, "ticket check without extracted fields")
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO ticket_checks
		(institution, ticket_check_id, movement_id, ticket_id, barcode, access_time, check_flow, result, failure_reason, content_hash, body, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (institution, ticket_check_id) DO NOTHING`,
		d.Institution, c.TicketCheckID, c.MovementID, c.TicketID, c.Barcode, formatTime(c.AccessTime),
		c.CheckFlow, c.Result, c.FailureReason, d.Hash, string(d.Raw), received)
	if err != nil {
		return "", err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return usher.OutcomeDuplicate, nil
	}
	stored.add(d.Institution, "checks", c.TicketCheckID)
	return usher.OutcomeStored, nil
}

// analyticsQueue holds what a transaction stored for the analytics
// projector (projection.go): ticket check ids and contact or order
// document ids, by institution and kind. It is queued in one statement
// per kind rather than one per document.
type analyticsQueue map[[2]string][]int64

func (q *analyticsQueue) add(institution, kind string, ref int64) {
	if *q == nil {
		*q = make(analyticsQueue)
	}
	key := [2]string{institution, kind}
	(*q)[key] = append((*q)[key], ref)
}

// queue writes q to analytics_pending, in the order the documents were
// stored within each kind.
func (q analyticsQueue) queue(ctx context.Context, tx *stmtTx, received string) error {
	for key, refs := range q {
		list, err := json.Marshal(refs)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO analytics_pending (institution, kind, ref, queued_at)
			SELECT ?1, ?2, value, ?3 FROM json_each(?4) ORDER BY key`, key[0], key[1], received, string(list)); err != nil {
			return err
		}
	}
	return nil
}

// saveVersioned stores a new version of a contact or order and, when it
// becomes current, enqueues its CRM deliveries in the same transaction.
func (s *Store) saveVersioned(ctx context.Context, tx *stmtTx, d usher.Document, now time.Time, stored *analyticsQueue) (usher.Outcome, error) {
	received := formatTime(now)
	// The unique content-hash index recognises a retried version: nothing
	// is inserted and no row returned.
	//
	// stream is compared as CAST(? AS TEXT), not a bare ?: against a bare
	// parameter SQLite checks at each execution whether the partial index
	// of migration 005 (stream = 'centaman.timed_ticket_type') applies,
	// which makes it prepare the statement again every time it is run, a
	// seventh of the writer's time on a push (docs/performance.md).
	var id, version int64
	err := tx.QueryRowContext(ctx, `INSERT INTO documents
		(institution, stream, external_id, version, content_hash, body, upstream_updated_at, received_at)
		VALUES (?, ?, ?, (SELECT coalesce(max(version), 0) + 1 FROM documents WHERE institution = ? AND stream = CAST(? AS TEXT) AND external_id = ?), ?, ?, ?, ?)
		ON CONFLICT (institution, stream, external_id, content_hash) DO NOTHING
		RETURNING id, version`,
		d.Institution, d.Stream, d.ExternalID, d.Institution, d.Stream, d.ExternalID,
		d.Hash, string(d.Raw), formatTimePtr(d.UpstreamUpdatedAt), received).Scan(&id, &version)
	if err == sql.ErrNoRows {
		return usher.OutcomeDuplicate, nil
	}
	if err != nil {
		return "", err
	}
	if d.Stream == usher.StreamContacts || d.Stream == usher.StreamOrders {
		stored.add(d.Institution, string(d.Stream), id)
	}
	// The head moves only forward in upstream time, so a late retry of an
	// old version is stored in history without becoming current (and is
	// not delivered: the CRM must not go back to it).
	var headID int64
	err = tx.QueryRowContext(ctx, `INSERT INTO document_heads
		(institution, stream, external_id, document_id, version, upstream_updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`+headMovesForward+`
		RETURNING document_id`,
		d.Institution, d.Stream, d.ExternalID, id, version, formatTimePtr(d.UpstreamUpdatedAt)).Scan(&headID)
	switch {
	case err == sql.ErrNoRows:
		return usher.OutcomeStored, nil
	case err != nil:
		return "", err
	}
	if err := s.routeStored(ctx, tx.tx, d, int(version), now); err != nil {
		return "", fmt.Errorf("crm deliveries: %w", err)
	}
	return usher.OutcomeStored, nil
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
		q = `SELECT CAST(ticket_check_id AS TEXT), 1, content_hash, body, access_time, received_at
			FROM ticket_checks WHERE institution = ?`
		if f.ExternalID != "" {
			q += ` AND ticket_check_id = ?`
			args = append(args, f.ExternalID)
		}
		q += ` ORDER BY access_time DESC, ticket_check_id DESC LIMIT ?`
	} else {
		from := `documents d JOIN document_heads h ON h.document_id = d.id`
		if f.AllVersions {
			from = `documents d`
		}
		q = `SELECT d.external_id, d.version, d.content_hash, d.body, d.upstream_updated_at, d.received_at
			FROM ` + from + ` WHERE d.institution = ? AND d.stream = ?`
		args = append(args, f.Stream)
		if f.ExternalID != "" {
			q += ` AND d.external_id = ?`
			args = append(args, f.ExternalID)
		}
		q += ` ORDER BY d.id DESC LIMIT ?`
	}
	args = append(args, limit)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, unavailable("find documents", err)
	}
	defer rows.Close()
	var out []usher.Document
	for rows.Next() {
		d := usher.Document{Institution: f.Institution, Stream: f.Stream}
		var body string
		var upstream sql.NullString
		var received string
		if err := rows.Scan(&d.ExternalID, &d.Version, &d.Hash, &body, &upstream, &received); err != nil {
			return nil, unavailable("find documents", err)
		}
		d.Raw = json.RawMessage(body)
		if upstream.Valid && strings.TrimSpace(upstream.String) != "" {
			t := parseTime(upstream.String)
			d.UpstreamUpdatedAt = &t
		}
		d.ReceivedAt = parseTime(received)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("find documents", err)
	}
	return out, nil
}
