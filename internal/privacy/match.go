package privacy

import (
	"encoding/json"

	"github.com/usher-hub/usher"
)

// NamesContact reports whether a stored document of stream belongs to or
// names the contact: the contact itself, or an order whose contactNumber
// is the contact's. Used where the store cannot ask its JSON engine (a
// quarantined body need not even be JSON).
func NamesContact(stream usher.Stream, raw []byte, contactNumber string) bool {
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

// Erased is what a quarantined document that cannot be redacted field by
// field (it is not JSON) becomes.
func Erased(contactNumber string) []byte {
	b, _ := json.Marshal(map[string]any{"erased": true, "contactNumber": contactNumber})
	return b
}

// RedactQuarantined returns the erased form of a quarantined body, and
// false when the body does not concern the contact. A body that names the
// contact but cannot be redacted field by field is replaced whole.
func RedactQuarantined(stream usher.Stream, body []byte, contactNumber string, redact usher.RedactFunc) ([]byte, bool) {
	if !NamesContact(stream, body, contactNumber) {
		return nil, false
	}
	out, changed, err := redact(stream, body)
	if err != nil {
		return Erased(contactNumber), true
	}
	return out, changed
}

// RedactContactJob erases the contact inside an outbox job's payload (a
// CRM write to S-360: {"contact": {…}, …}) with redact, leaving the rest of
// the job as it was. It reports whether anything changed.
func RedactContactJob(payload []byte, redact usher.RedactFunc) ([]byte, bool, error) {
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
