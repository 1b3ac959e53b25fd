package postgres

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/privacy"
)

// ForgetContact erases a contact's personal data; see usher.ErasureStore.
func (s *Store) ForgetContact(ctx context.Context, e usher.Erasure, redact usher.RedactFunc) (usher.Erasure, error) {
	e.ErasedAt = s.now().UTC()
	err := s.inTx(ctx, "forget contact", func(tx pgx.Tx) error {
		e.Rewritten = map[string]int{}
		places := []struct {
			name, query string
			stream      usher.Stream
		}{
			{"contact_versions", `SELECT id, body::text FROM documents WHERE institution = $1 AND stream = 'contacts' AND external_id = $2 FOR UPDATE`, usher.StreamContacts},
			{"order_versions", `SELECT id, body::text FROM documents WHERE institution = $1 AND stream = 'orders'
				AND coalesce(body->'orderDetailsData'->>'contactNumber', body->>'contactNumber') = $2 FOR UPDATE`, usher.StreamOrders},
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
		_, err = tx.Exec(ctx, `INSERT INTO erasures (institution, contact_number, actor, reason, erased_at, rewritten)
			VALUES ($1, $2, $3, $4, $5, $6::jsonb)`, e.Institution, e.ContactNumber, e.Actor, e.Reason, e.ErasedAt, string(counts))
		return err
	})
	return e, err
}

func rewrite(ctx context.Context, tx pgx.Tx, query string, stream usher.Stream, e usher.Erasure, redact usher.RedactFunc) (int, error) {
	rows, err := tx.Query(ctx, query, e.Institution, e.ContactNumber)
	if err != nil {
		return 0, err
	}
	type row struct {
		id   int64
		body string
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.id, &x.body)
		return x, err
	})
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
		if _, err := tx.Exec(ctx, `UPDATE documents SET body = $1::jsonb WHERE id = $2`, string(out), r.id); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// Erasures lists the audit records of an institution, newest first.
func (s *Store) Erasures(ctx context.Context, institution string) ([]usher.Erasure, error) {
	rows, err := s.pool.Query(ctx, `SELECT institution, contact_number, actor, reason, erased_at, rewritten::text
		FROM erasures WHERE institution = $1 ORDER BY id DESC`, institution)
	if err != nil {
		return nil, unavailable("erasures", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (usher.Erasure, error) {
		var e usher.Erasure
		var counts string
		err := r.Scan(&e.Institution, &e.ContactNumber, &e.Actor, &e.Reason, &e.ErasedAt, &counts)
		_ = json.Unmarshal([]byte(counts), &e.Rewritten)
		return e, err
	})
	if err != nil {
		return nil, unavailable("erasures", err)
	}
	return out, nil
}

// rewriteQuarantine erases the contact from quarantined contacts and
// orders. A quarantined body may not be JSON, so candidates are found by
// the contact number's bytes and confirmed in Go.
func rewriteQuarantine(ctx context.Context, tx pgx.Tx, e usher.Erasure, redact usher.RedactFunc) (int, error) {
	rows, err := tx.Query(ctx, `SELECT id, stream, body FROM quarantine
		WHERE institution = $1 AND stream IN ('contacts', 'orders')
		AND (external_id = $2 OR position(convert_to($2, 'UTF8') IN body) > 0) FOR UPDATE`,
		e.Institution, e.ContactNumber)
	if err != nil {
		return 0, err
	}
	type row struct {
		id     int64
		stream string
		body   []byte
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.id, &x.stream, &x.body)
		return x, err
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range found {
		out, ok := privacy.RedactQuarantined(usher.Stream(r.stream), r.body, e.ContactNumber, redact)
		if !ok {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE quarantine SET body = $1 WHERE id = $2`, out, r.id); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// rewriteContactJobs erases the contact from finished CRM writes to S-360.
// A write still queued or in flight would send the contact upstream after
// the erasure, so the erasure waits for it instead (ECONFLICT).
func rewriteContactJobs(ctx context.Context, tx pgx.Tx, e usher.Erasure, redact usher.RedactFunc) (int, error) {
	rows, err := tx.Query(ctx, `SELECT id, state, payload::text FROM outbox_jobs
		WHERE institution = $1 AND kind = $2 AND payload->'contact'->>'contactNumber' = $3 FOR UPDATE`,
		e.Institution, usher.KindS360SaveContact, e.ContactNumber)
	if err != nil {
		return 0, err
	}
	type row struct {
		id             int64
		state, payload string
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.id, &x.state, &x.payload)
		return x, err
	})
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
		if _, err := tx.Exec(ctx, `UPDATE outbox_jobs SET payload = $1::jsonb WHERE id = $2`, string(out), r.id); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}
