package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// SaveGrouped stores a payload no CRM route concerns in a savepoint of
// the group writer's transaction; see driver.DocumentLegacy.
func (s *Store) SaveGrouped(ctx context.Context, docs []usher.Document, received time.Time) ([]usher.Outcome, error) {
	var saved driver.Saved
	err := s.InTx(ctx, "save documents", func(ctx context.Context, x driver.Executor) error {
		var err error
		saved, err = x.SaveDocuments(ctx, docs, nil, received)
		return err
	})
	return saved.Outcomes, err
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

// SaveDocuments stores docs and quarantines bad; see driver.DocumentVerbs.
// A payload's contacts and orders go in two statements for all of them
// when no id repeats (setWise), else two each, in order, so that each
// sees the version before; each distinct statement is prepared once per
// payload (stmtTx). It runs in the writer's transaction (InTx).
func (c conn) SaveDocuments(ctx context.Context, docs []usher.Document, bad []usher.QuarantinedDocument, received time.Time) (driver.Saved, error) {
	tx := newStmtTx(c.q.(preparer))
	at := formatTime(received)
	saved := driver.Saved{Outcomes: make([]usher.Outcome, len(docs))}
	var stored analyticsQueue
	bySet := setWise(docs)
	for i, d := range docs {
		var err error
		switch {
		case d.Stream == usher.StreamTicketChecks:
			saved.Outcomes[i], err = saveCheck(ctx, tx, d, at, &stored)
		case !bySet:
			err = saveVersions(ctx, tx, docs[i:i+1], at, saved.Outcomes[i:i+1], &saved.Current, &stored)
		}
		if err != nil {
			return driver.Saved{}, fmt.Errorf("document %d (%s %s): %w", i, d.Stream, d.ExternalID, err)
		}
	}
	if bySet {
		if err := saveVersions(ctx, tx, docs, at, saved.Outcomes, &saved.Current, &stored); err != nil {
			return driver.Saved{}, err
		}
	}
	if err := stored.queue(ctx, tx, at); err != nil {
		return driver.Saved{}, err
	}
	for i, q := range bad {
		if _, err := exec(ctx, c.q, "Quarantine", q.Institution, string(q.Stream), q.DocType, q.ExternalID, q.Hash, q.Raw,
			q.SchemaVersion, string(usher.ViolationsJSON(q.Violations)), at); err != nil {
			return driver.Saved{}, fmt.Errorf("quarantine document %d (%s): %w", i, q.DocType, err)
		}
	}
	return saved, nil
}

// saveCheck stores a ticket check and adds it to stored if it is new.
func saveCheck(ctx context.Context, tx *stmtTx, d usher.Document, received string, stored *analyticsQueue) (usher.Outcome, error) {
	c := d.Check
	if c == nil {
		return "", usher.Errorf(usher.EINVALID, "ticket check without extracted fields")
	}
	res, err := tx.ExecContext(ctx, queries.Get("InsertTicketCheck"),
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
		if _, err := tx.ExecContext(ctx, queries.Get("QueueAnalytics"), key[0], key[1], received, string(list)); err != nil {
			return err
		}
	}
	return nil
}

// TicketCheckHashes reads stored check hashes; see driver.DocumentVerbs.
func (c conn) TicketCheckHashes(ctx context.Context, institution string, ids []int64) ([]driver.CheckHash, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	return all(ctx, c.q, "TicketCheckHashes", func(r *sql.Rows, h *driver.CheckHash) error { return r.Scan(&h.ID, &h.Hash) }, institution, string(list))
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
	name, args := "ListHeads", []any{institution, stream, limit}
	if allVersions {
		name = "ListVersions"
	}
	if externalID != "" {
		name, args = name+"Of", append(args, externalID)
	}
	return all(ctx, c.q, name, scanListed, args...)
}

func scanListed(r *sql.Rows, d *usher.Document) error {
	var upstream sql.NullString
	err := r.Scan(&d.ExternalID, &d.Version, &d.Hash, (*textJSON)(&d.Raw), &upstream, (*textTime)(&d.ReceivedAt))
	d.UpstreamUpdatedAt = nullTime(upstream)
	return err
}

// nullTime is a nullable time stored as text; blank is none.
func nullTime(s sql.NullString) *time.Time {
	if !s.Valid || strings.TrimSpace(s.String) == "" {
		return nil
	}
	t := parseTime(s.String)
	return &t
}
