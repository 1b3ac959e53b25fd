// Package privacy holds the redaction rules of GDPR erasure (right to
// erasure): which parts of a contact, an order, a quarantined body or a
// queued S-360 write are personal data, and what each becomes. The
// erasure flow that applies them to everything usher stores and leaves
// an audit record lives in internal/store (ForgetContact, given Redact).
//
// Erasure is the one exception to "local copies are read-only": the
// upstream remains the truth, and the venue must erase the contact there
// too, or S-360 will push it again.
package privacy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/usher-hub/usher"
)

// contactKeep lists the contact fields that are not personal data: the
// upstream's ids, classification and timestamps. Everything else in a
// contact is erased: an allow-list, so a field S-360 adds tomorrow is
// erased too.
var contactKeep = map[string]bool{
	"contactNumber": true, "contactId": true, "role": true, "type": true,
	"creationDate": true, "lastUpdateDate": true, "endValidityDate": true,
	"hasWarning": true, "hasAdvantages": true,
}

// personalFragments name personal data inside an order: a key that
// contains one (case-insensitive) is erased with everything under it.
// Orders are erased by deny-list: their business content (products,
// amounts, movements) is not personal and analytics still need it.
var personalFragments = []string{
	"firstname", "lastname", "fullname", "holder", "attendee", "email", "phone",
	"address", "street", "zipcode", "postcode", "postalcode", "birth", "gender", "photo", "login", "iban",
}

func personalKey(k string) bool {
	l := strings.ToLower(k)
	for _, frag := range personalFragments {
		if strings.Contains(l, frag) {
			return true
		}
	}
	return false
}

// Redact is the usher.RedactFunc used by ForgetContact.
func Redact(stream usher.Stream, raw []byte) ([]byte, bool, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false, fmt.Errorf("redact: %w", err)
	}
	var changed bool
	switch stream {
	case usher.StreamContacts:
		v, changed = redactContact(v)
	default:
		v, changed = redactPersonal(v)
	}
	if !changed {
		return raw, false, nil
	}
	out, err := json.Marshal(v)
	return out, true, err
}

func redactContact(v any) (any, bool) {
	obj, ok := v.(map[string]any)
	if !ok {
		return v, false
	}
	out := map[string]any{"erased": true}
	for k, val := range obj {
		if contactKeep[k] {
			out[k] = val
		}
	}
	return out, true
}

func redactPersonal(v any) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		changed := false
		for k, val := range x {
			if personalKey(k) {
				if val != nil && val != "" {
					x[k] = nil
					changed = true
				}
				continue
			}
			nv, c := redactPersonal(val)
			x[k] = nv
			changed = changed || c
		}
		return x, changed
	case []any:
		changed := false
		for i, val := range x {
			nv, c := redactPersonal(val)
			x[i] = nv
			changed = changed || c
		}
		return x, changed
	}
	return v, false
}
