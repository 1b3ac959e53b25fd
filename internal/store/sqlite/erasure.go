package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/privacy"
)

// ForgetContact erases a contact's personal data; see usher.ErasureStore.
func (s *Store) ForgetContact(ctx context.Context, e usher.Erasure, redact usher.RedactFunc) (usher.Erasure, error) {
	e.ErasedAt = s.now().UTC()
	e.Rewritten = map[string]int{}
	err := s.inWriteTx(ctx, "forget contact", func(ctx context.Context, tx *sql.Tx) error {
		places := []struct {
			name, query string
			stream      usher.Stream
		}{
			{"contact_versions", `SELECT id, body FROM documents WHERE institution = ? AND stream = 'contacts' AND external_id = ?`, usher.StreamContacts},
			{"order_versions", `SELECT id, body FROM documents WHERE institution = ? AND stream = 'orders'
				AND coalesce(json_extract(body, '$.orderDetailsData.contactNumber'), json_extract(body, '$.contactNumber')) = ?`, usher.StreamOrders},
		}
		for _, p := range places {
			n, err := rewrite(ctx, tx, p.query, p.stream, e, redact)
			if err != nil {
				return err
			}
			e.Rewritten[p.name] = n
		}
		n, err := rewriteQuarantine(ctx, tx, e, redact)
		if err != nil {
			return err
		}
		e.Rewritten["quarantined"] = n
		if e.Rewritten["crm_writes"], err = rewriteContactJobs(ctx, tx, e, redact); err != nil {
			return err
		}
		if e.Rewritten["contact_versions"] == 0 && e.Rewritten["order_versions"] == 0 && n == 0 && e.Rewritten["crm_writes"] == 0 {
			return usher.Errorf(usher.ENOTFOUND, "no contact %s stored for %s", e.ContactNumber, e.Institution)
		}
		counts, _ := json.Marshal(e.Rewritten)
		_, err = tx.ExecContext(ctx, `INSERT INTO erasures (institution, contact_number, actor, reason, erased_at, rewritten)
			VALUES (?, ?, ?, ?, ?, ?)`, e.Institution, e.ContactNumber, e.Actor, e.Reason, formatTime(e.ErasedAt), string(counts))
		return err
	})
	return e, err
}

func rewrite(ctx context.Context, tx *sql.Tx, query string, stream usher.Stream, e usher.Erasure, redact usher.RedactFunc) (int, error) {
	type row struct {
		id   int64
		body string
	}
	found, err := queryAll(ctx, tx, func(r *sql.Rows, x *row) error { return r.Scan(&x.id, &x.body) },
		query, e.Institution, e.ContactNumber)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range found {
		out, changed, err := redact(stream, []byte(r.body))
		if err != nil {
			return 0, err
		}
		if !changed {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE documents SET body = ? WHERE id = ?`, string(out), r.id); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// Erasures lists the audit records of an institution, newest first.
func (s *Store) Erasures(ctx context.Context, institution string) ([]usher.Erasure, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT institution, contact_number, actor, reason, erased_at, rewritten
		FROM erasures WHERE institution = ? ORDER BY id DESC`, institution)
	if err != nil {
		return nil, unavailable("erasures", err)
	}
	defer rows.Close()
	var out []usher.Erasure
	for rows.Next() {
		var e usher.Erasure
		var at, counts string
		if err := rows.Scan(&e.Institution, &e.ContactNumber, &e.Actor, &e.Reason, &at, &counts); err != nil {
			return nil, unavailable("erasures", err)
		}
		e.ErasedAt = parseTime(at)
		_ = json.Unmarshal([]byte(counts), &e.Rewritten)
		out = append(out, e)
	}
	return out, rows.Err()
}

// rewriteQuarantine erases the contact from quarantined contacts and
// orders. A quarantined body may not be JSON, so candidates are found by
// the contact number's bytes and confirmed in Go.
func rewriteQuarantine(ctx context.Context, tx *sql.Tx, e usher.Erasure, redact usher.RedactFunc) (int, error) {
	type row struct {
		id     int64
		stream usher.Stream
		body   []byte
	}
	found, err := queryAll(ctx, tx, func(r *sql.Rows, x *row) error { return r.Scan(&x.id, &x.stream, &x.body) },
		`SELECT id, stream, body FROM quarantine
		WHERE institution = ? AND stream IN ('contacts', 'orders') AND (external_id = ? OR instr(body, ?) > 0)`,
		e.Institution, e.ContactNumber, e.ContactNumber)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range found {
		out, ok := privacy.RedactQuarantined(r.stream, r.body, e.ContactNumber, redact)
		if !ok {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE quarantine SET body = ? WHERE id = ?`, out, r.id); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// rewriteContactJobs erases the contact from finished CRM writes to S-360.
// A write still queued or in flight would send the contact upstream after
// the erasure, so the erasure waits for it instead (ECONFLICT).
func rewriteContactJobs(ctx context.Context, tx *sql.Tx, e usher.Erasure, redact usher.RedactFunc) (int, error) {
	type row struct {
		id             int64
		state, payload string
	}
	found, err := queryAll(ctx, tx, func(r *sql.Rows, x *row) error { return r.Scan(&x.id, &x.state, &x.payload) },
		`SELECT id, state, payload FROM outbox_jobs
		WHERE institution = ? AND kind = ? AND json_extract(payload, '$.contact.contactNumber') = ?`,
		e.Institution, usher.KindS360SaveContact, e.ContactNumber)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range found {
		if r.state == string(usher.JobQueued) || r.state == string(usher.JobInFlight) {
			return 0, usher.Errorf(usher.ECONFLICT, "a CRM write for contact %s is still %s: erase it once the outbox has sent it", e.ContactNumber, r.state)
		}
		out, changed, err := privacy.RedactContactJob([]byte(r.payload), redact)
		if err != nil {
			return 0, err
		}
		if !changed {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE outbox_jobs SET payload = ? WHERE id = ?`, string(out), r.id); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// queryAll runs query in tx and scans every row into a T: the rows are
// read in full before the caller writes, since SQLite's single connection
// cannot update while a result set is open.
func queryAll[T any](ctx context.Context, tx *sql.Tx, scan func(*sql.Rows, *T) error, query string, args ...any) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var x T
		if err := scan(rows, &x); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}
