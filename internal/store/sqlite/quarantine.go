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

// SaveDocumentsAndQuarantine stores docs and quarantines bad in one
// transaction; see usher.QuarantineStore.
func (s *Store) SaveDocumentsAndQuarantine(ctx context.Context, docs []usher.Document, bad []usher.QuarantinedDocument) ([]usher.Outcome, error) {
	at := s.now()
	now := formatTime(at)
	outcomes := make([]usher.Outcome, len(docs))
	err := s.inWriteTx(ctx, "save and quarantine documents", func(ctx context.Context, tx *sql.Tx) error {
		st := newStmtTx(tx)
		for i, d := range docs {
			o, err := s.saveOne(ctx, st, d, at)
			if err != nil {
				return fmt.Errorf("document %d (%s %s): %w", i, d.Stream, d.ExternalID, err)
			}
			outcomes[i] = o
		}
		for i, q := range bad {
			if err := quarantineOne(ctx, tx, q, now); err != nil {
				return fmt.Errorf("quarantine document %d (%s): %w", i, q.DocType, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return outcomes, nil
}

// saveOne stores one valid document with the helpers SaveDocuments uses,
// so a document that went through quarantine reaches the CRM like any other.
func (s *Store) saveOne(ctx context.Context, tx *stmtTx, d usher.Document, at time.Time) (usher.Outcome, error) {
	var stored analyticsQueue
	var outcome usher.Outcome
	var err error
	if d.Stream == usher.StreamTicketChecks {
		outcome, err = saveCheck(ctx, tx, d, formatTime(at), &stored)
	} else {
		outcome, err = s.saveVersioned(ctx, tx, d, at, &stored)
	}
	if err != nil {
		return "", err
	}
	return outcome, stored.queue(ctx, tx, formatTime(at))
}

func quarantineOne(ctx context.Context, tx *sql.Tx, q usher.QuarantinedDocument, now string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO quarantine
		(institution, stream, doc_type, external_id, content_hash, body, schema_version, violations, received_at, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (institution, doc_type, content_hash) WHERE released_at IS NULL DO UPDATE SET
			last_seen_at = excluded.last_seen_at,
			seen_count = quarantine.seen_count + 1,
			schema_version = excluded.schema_version,
			violations = excluded.violations`,
		q.Institution, string(q.Stream), q.DocType, q.ExternalID, q.Hash, q.Raw, q.SchemaVersion,
		string(usher.ViolationsJSON(q.Violations)), now, now)
	return err
}

const quarantineColumns = `id, institution, stream, doc_type, external_id, content_hash, body, schema_version,
	violations, received_at, last_seen_at, seen_count, replayed_at, released_at, release_outcome`

// FindQuarantined lists quarantined documents; see usher.QuarantineStore.
func (s *Store) FindQuarantined(ctx context.Context, f usher.QuarantineFilter) ([]usher.QuarantinedDocument, error) {
	if f.Institutions != nil && len(f.Institutions) == 0 {
		return nil, nil
	}
	q, args := quarantineQuery(f)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, unavailable("find quarantined", err)
	}
	defer rows.Close()
	var out []usher.QuarantinedDocument
	for rows.Next() {
		d, err := scanQuarantined(rows)
		if err != nil {
			return nil, unavailable("find quarantined", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("find quarantined", err)
	}
	return out, nil
}

// quarantineQuery builds the listing query; only the shape of the WHERE
// clause varies, every value is a bound argument.
func quarantineQuery(f usher.QuarantineFilter) (string, []any) {
	where := []string{"id > ?"}
	args := []any{f.AfterID}
	if f.Institutions != nil {
		where = append(where, "institution IN (?"+strings.Repeat(", ?", len(f.Institutions)-1)+")")
		for _, code := range f.Institutions {
			args = append(args, code)
		}
	}
	if f.Stream != "" {
		where = append(where, "stream = ?")
		args = append(args, string(f.Stream))
	}
	switch f.Status {
	case "", usher.QuarantinePending:
		where = append(where, "released_at IS NULL")
	case usher.QuarantineReleased:
		where = append(where, "released_at IS NOT NULL")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	return `SELECT ` + quarantineColumns + ` FROM quarantine WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id LIMIT ?`, args
}

func scanQuarantined(rows *sql.Rows) (usher.QuarantinedDocument, error) {
	var d usher.QuarantinedDocument
	var stream, violations, received, lastSeen string
	var replayed, released, outcome sql.NullString
	err := rows.Scan(&d.ID, &d.Institution, &stream, &d.DocType, &d.ExternalID, &d.Hash, &d.Raw, &d.SchemaVersion,
		&violations, &received, &lastSeen, &d.SeenCount, &replayed, &released, &outcome)
	if err != nil {
		return d, err
	}
	d.Stream = usher.Stream(stream)
	if err := json.Unmarshal([]byte(violations), &d.Violations); err != nil {
		return d, fmt.Errorf("quarantine %d: violations: %w", d.ID, err)
	}
	d.ReceivedAt, d.LastSeenAt = parseTime(received), parseTime(lastSeen)
	d.ReplayedAt, d.ReleasedAt = parseTimeNull(replayed), parseTimeNull(released)
	d.ReleaseOutcome = usher.Outcome(outcome.String)
	return d, nil
}

// RecheckQuarantined records a replay that found the document still
// invalid; see usher.QuarantineStore.
func (s *Store) RecheckQuarantined(ctx context.Context, id int64, schemaVersion string, violations []usher.Violation) error {
	now := formatTime(s.now())
	return s.inWriteTx(ctx, "recheck quarantined", func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE quarantine SET schema_version = ?, violations = ?, replayed_at = ?
			WHERE id = ? AND released_at IS NULL`, schemaVersion, string(usher.ViolationsJSON(violations)), now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return quarantineExists(ctx, tx, id)
		}
		return nil
	})
}

// ReleaseQuarantined stores doc and marks quarantined document id
// released, once; see usher.QuarantineStore.
func (s *Store) ReleaseQuarantined(ctx context.Context, id int64, doc usher.Document) (usher.Outcome, bool, error) {
	at := s.now()
	now := formatTime(at)
	var outcome usher.Outcome
	released := false
	err := s.inWriteTx(ctx, "release quarantined", func(ctx context.Context, tx *sql.Tx) error {
		// Claim the row first: a second replay finds it released and
		// stores nothing.
		res, err := tx.ExecContext(ctx, `UPDATE quarantine SET released_at = ?, replayed_at = ?
			WHERE id = ? AND released_at IS NULL`, now, now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return quarantineExists(ctx, tx, id)
		}
		if outcome, err = s.saveOne(ctx, newStmtTx(tx), doc, at); err != nil {
			return err
		}
		released = true
		_, err = tx.ExecContext(ctx, `UPDATE quarantine SET release_outcome = ? WHERE id = ?`, string(outcome), id)
		return err
	})
	if err != nil {
		return "", false, err
	}
	return outcome, released, nil
}

// quarantineExists returns nil if row id exists, ENOTFOUND if not.
func quarantineExists(ctx context.Context, tx *sql.Tx, id int64) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM quarantine WHERE id = ?`, id).Scan(&one)
	if err == sql.ErrNoRows {
		return usher.Errorf(usher.ENOTFOUND, "no quarantined document %d", id)
	}
	return err
}
