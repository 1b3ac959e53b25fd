package store

import (
	"context"
	"encoding/json"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// ForgetContact erases a contact's personal data; see usher.ErasureStore.
// It rewrites, in one transaction, the contact's versions, the versions of
// the orders naming it, the quarantined contacts and orders naming it and
// the finished CRM writes to S-360 carrying it, then records the erasure.
// A CRM write still queued or in flight would send the contact upstream
// after the erasure, so the erasure waits for it instead (ECONFLICT); a
// contact found nowhere is ENOTFOUND.
func (s *Store) ForgetContact(ctx context.Context, e usher.Erasure, redact usher.RedactFunc) (usher.Erasure, error) {
	e.ErasedAt = s.now().UTC()
	// A quarantined body's candidates are found by the contact number's
	// bytes: only those that name the contact are redacted.
	quarantined := func(stream usher.Stream, body []byte) ([]byte, bool, error) {
		out, changed := redactQuarantined(stream, body, e.ContactNumber, redact)
		return out, changed, nil
	}
	places := []struct {
		key    string // in e.Rewritten
		place  driver.ErasurePlace
		redact usher.RedactFunc
	}{
		{"contact_versions", driver.ContactVersions, redact},
		{"order_versions", driver.OrderVersions, redact},
		{"quarantined", driver.Quarantined, quarantined},
	}
	err := s.d.InTx(ctx, "forget contact", func(ctx context.Context, x driver.Executor) error {
		e.Rewritten = map[string]int{}
		total := 0
		for _, p := range places {
			n, err := rewriteBodies(ctx, x, p.place, e, p.redact)
			if err != nil {
				return err
			}
			e.Rewritten[p.key] = n
			total += n
		}
		n, err := rewriteContactJobs(ctx, x, e, redact)
		if err != nil {
			return err
		}
		e.Rewritten["crm_writes"] = n
		if total+n == 0 {
			return usher.Errorf(usher.ENOTFOUND, "no contact %s stored for %s", e.ContactNumber, e.Institution)
		}
		counts, _ := json.Marshal(e.Rewritten)
		return x.InsertErasure(ctx, e, counts)
	})
	return e, err
}

// rewriteBodies writes back each body of place that redact changes, and
// returns how many it wrote.
func rewriteBodies(ctx context.Context, x driver.Executor, place driver.ErasurePlace, e usher.Erasure, redact usher.RedactFunc) (int, error) {
	found, err := x.ErasableBodies(ctx, place, e.Institution, e.ContactNumber)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range found {
		out, changed, err := redact(r.Stream, r.Body)
		if err != nil {
			return 0, err
		}
		if !changed {
			continue
		}
		if err := x.RewriteErasableBody(ctx, place, r.ID, out); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// rewriteContactJobs erases the contact from finished CRM writes to S-360,
// and refuses (ECONFLICT) while one is still queued or in flight.
func rewriteContactJobs(ctx context.Context, x driver.Executor, e usher.Erasure, redact usher.RedactFunc) (int, error) {
	found, err := x.ErasableContactJobs(ctx, e.Institution, usher.KindS360SaveContact, e.ContactNumber)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range found {
		if r.State == usher.JobQueued || r.State == usher.JobInFlight {
			return 0, usher.Errorf(usher.ECONFLICT, "a CRM write for contact %s is still %s: erase it once the outbox has sent it", e.ContactNumber, r.State)
		}
		out, changed, err := redactContactJob(r.Payload, redact)
		if err != nil {
			return 0, err
		}
		if !changed {
			continue
		}
		if err := x.RewriteJobPayload(ctx, r.ID, out); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// Erasures lists the audit records of an institution, newest first.
func (s *Store) Erasures(ctx context.Context, institution string) ([]usher.Erasure, error) {
	return readEach("erasures", func(r driver.ErasureRow) (usher.Erasure, error) {
		_ = json.Unmarshal(r.Rewritten, &r.Erasure.Rewritten)
		return r.Erasure, nil
	})(s.d.ListErasures(ctx, institution))
}

// namesContact reports whether a stored document of stream belongs to or
// names the contact: the contact itself, or an order whose contactNumber
// is the contact's. Used where the database cannot be asked (a
// quarantined body need not even be JSON).
func namesContact(stream usher.Stream, raw []byte, contactNumber string) bool {
	var doc struct {
		ContactNumber json.RawMessage `json:"contactNumber"`
		Order         *struct {
			ContactNumber json.RawMessage `json:"contactNumber"`
		} `json:"orderDetailsData"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return false
	}
	field := doc.ContactNumber
	if stream == usher.StreamOrders && doc.Order != nil && doc.Order.ContactNumber != nil {
		field = doc.Order.ContactNumber
	}
	var s string
	if json.Unmarshal(field, &s) == nil {
		return s == contactNumber
	}
	return string(field) == contactNumber
}

// erased is what a quarantined document that cannot be redacted field by
// field (it is not JSON) becomes.
func erased(contactNumber string) []byte {
	b, _ := json.Marshal(map[string]any{"erased": true, "contactNumber": contactNumber})
	return b
}

// redactQuarantined returns the erased form of a quarantined body, and
// false when the body does not concern the contact (its candidates are
// found by the contact number's bytes). A body that names the contact but
// cannot be redacted field by field is replaced whole.
func redactQuarantined(stream usher.Stream, body []byte, contactNumber string, redact usher.RedactFunc) ([]byte, bool) {
	if !namesContact(stream, body, contactNumber) {
		return nil, false
	}
	out, changed, err := redact(stream, body)
	if err != nil {
		return erased(contactNumber), true
	}
	return out, changed
}

// redactContactJob erases the contact inside an outbox job's payload (a
// CRM write to S-360: {"contact": {…}, …}) with redact, leaving the rest of
// the job as it was. It reports whether anything changed.
func redactContactJob(payload []byte, redact usher.RedactFunc) ([]byte, bool, error) {
	var job map[string]json.RawMessage
	if err := json.Unmarshal(payload, &job); err != nil {
		return nil, false, err
	}
	contact, ok := job["contact"]
	if !ok {
		return payload, false, nil
	}
	out, changed, err := redact(usher.StreamContacts, contact)
	if err != nil || !changed {
		return payload, false, err
	}
	job["contact"] = out
	b, err := json.Marshal(job)
	return b, true, err
}
