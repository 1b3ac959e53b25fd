package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
)

const quarantineSQL = `
INSERT INTO quarantine
	(institution, stream, doc_type, external_id, content_hash, body, schema_version, violations, received_at, last_seen_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $9)
ON CONFLICT (institution, doc_type, content_hash) WHERE released_at IS NULL DO UPDATE SET
	last_seen_at = excluded.last_seen_at,
	seen_count = quarantine.seen_count + 1,
	schema_version = excluded.schema_version,
	violations = excluded.violations`

// SaveDocumentsAndQuarantine stores docs and quarantines bad in one
// transaction and one round trip; see usher.QuarantineStore.
func (s *Store) SaveDocumentsAndQuarantine(ctx context.Context, docs []usher.Document, bad []usher.QuarantinedDocument) ([]usher.Outcome, error) {
	now := s.now().UTC()
	outcomes := make([]usher.Outcome, len(docs))
	err := s.inTx(ctx, "save and quarantine documents", func(tx pgx.Tx) error {
		batch := &pgx.Batch{}
		plan, err := queueDocuments(batch, docs, receivedAll(now, len(docs)))
		if err != nil {
			return err
		}
		for _, q := range bad {
			batch.Queue(quarantineSQL, q.Institution, string(q.Stream), q.DocType, q.ExternalID, q.Hash, q.Raw,
				q.SchemaVersion, string(usher.ViolationsJSON(q.Violations)), now)
		}
		results := tx.SendBatch(ctx, batch)
		defer results.Close()
		current, err := readOutcomes(results, docs, plan, outcomes)
		if err != nil {
			return err
		}
		for i, q := range bad {
			if _, err := results.Exec(); err != nil {
				return fmt.Errorf("quarantine document %d (%s): %w", i, q.DocType, err)
			}
		}
		if err := results.Close(); err != nil {
			return err
		}
		// Valid documents of a payload with bad ones reach the CRM too.
		return s.routeStored(ctx, tx, current, now)
	})
	if err != nil {
		return nil, err
	}
	return outcomes, nil
}

const quarantineColumns = `id, institution, stream, doc_type, external_id, content_hash, body, schema_version,
	violations, received_at, last_seen_at, seen_count, replayed_at, released_at, coalesce(release_outcome, '')`

// FindQuarantined lists quarantined documents; see usher.QuarantineStore.
func (s *Store) FindQuarantined(ctx context.Context, f usher.QuarantineFilter) ([]usher.QuarantinedDocument, error) {
	if f.Institutions != nil && len(f.Institutions) == 0 {
		return nil, nil
	}
	q, args := quarantineQuery(f)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, unavailable("find quarantined", err)
	}
	defer rows.Close()
	var out []usher.QuarantinedDocument
	for rows.Next() {
		var d usher.QuarantinedDocument
		var stream, outcome string
		err := rows.Scan(&d.ID, &d.Institution, &stream, &d.DocType, &d.ExternalID, &d.Hash, &d.Raw, &d.SchemaVersion,
			&d.Violations, &d.ReceivedAt, &d.LastSeenAt, &d.SeenCount, &d.ReplayedAt, &d.ReleasedAt, &outcome)
		if err != nil {
			return nil, unavailable("find quarantined", err)
		}
		d.Stream, d.ReleaseOutcome = usher.Stream(stream), usher.Outcome(outcome)
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
	args := []any{f.AfterID}
	where := []string{"id > $1"}
	if f.Institutions != nil {
		args = append(args, f.Institutions)
		where = append(where, fmt.Sprintf("institution = ANY($%d)", len(args)))
	}
	if f.Stream != "" {
		args = append(args, string(f.Stream))
		where = append(where, fmt.Sprintf("stream = $%d", len(args)))
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
	return fmt.Sprintf(`SELECT %s FROM quarantine WHERE %s ORDER BY id LIMIT $%d`,
		quarantineColumns, strings.Join(where, " AND "), len(args)), args
}

// RecheckQuarantined records a replay that found the document still
// invalid; see usher.QuarantineStore.
func (s *Store) RecheckQuarantined(ctx context.Context, id int64, schemaVersion string, violations []usher.Violation) error {
	now := s.now().UTC()
	return s.inTx(ctx, "recheck quarantined", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE quarantine SET schema_version = $1, violations = $2::jsonb, replayed_at = $3
			WHERE id = $4 AND released_at IS NULL`, schemaVersion, string(usher.ViolationsJSON(violations)), now, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return quarantineExists(ctx, tx, id)
		}
		return nil
	})
}

// ReleaseQuarantined stores doc and marks quarantined document id
// released, once; see usher.QuarantineStore.
func (s *Store) ReleaseQuarantined(ctx context.Context, id int64, doc usher.Document) (usher.Outcome, bool, error) {
	now := s.now().UTC()
	var outcome usher.Outcome
	var released bool
	err := s.inTx(ctx, "release quarantined", func(tx pgx.Tx) error {
		outcome, released = "", false
		// Claiming the row first locks it: a concurrent replay waits, then
		// finds it released and stores nothing.
		tag, err := tx.Exec(ctx, `UPDATE quarantine SET released_at = $1, replayed_at = $1
			WHERE id = $2 AND released_at IS NULL`, now, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return quarantineExists(ctx, tx, id)
		}
		if outcome, err = s.saveOneTx(ctx, tx, doc, now); err != nil {
			return err
		}
		released = true
		_, err = tx.Exec(ctx, `UPDATE quarantine SET release_outcome = $1 WHERE id = $2`, string(outcome), id)
		return err
	})
	if err != nil {
		return "", false, err
	}
	return outcome, released, nil
}

// saveOneTx stores one document with the statements SaveDocuments uses,
// so a replayed document reaches the CRM like any other.
func (s *Store) saveOneTx(ctx context.Context, tx pgx.Tx, d usher.Document, received time.Time) (usher.Outcome, error) {
	batch := &pgx.Batch{}
	plan, err := queueDocuments(batch, []usher.Document{d}, []time.Time{received})
	if err != nil {
		return "", err
	}
	results := tx.SendBatch(ctx, batch)
	defer results.Close()
	outcomes := make([]usher.Outcome, 1)
	current, err := readOutcomes(results, []usher.Document{d}, plan, outcomes)
	if err != nil {
		return "", err
	}
	if err := results.Close(); err != nil {
		return "", err
	}
	return outcomes[0], s.routeStored(ctx, tx, current, received)
}

// quarantineExists returns nil if row id exists, ENOTFOUND if not.
func quarantineExists(ctx context.Context, tx pgx.Tx, id int64) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM quarantine WHERE id = $1`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return usher.Errorf(usher.ENOTFOUND, "no quarantined document %d", id)
	}
	return err
}
