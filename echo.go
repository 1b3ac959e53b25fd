package usher

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// echoIgnored are the contact fields S-360 sets itself on every write:
// identity and bookkeeping. They differ between a write and its echo
// without being a change anybody made.
var echoIgnored = map[string]bool{
	"contactNumber":        true,
	"contactId":            true,
	"creationDate":         true,
	"lastUpdateDate":       true,
	"lastModificationDate": true,
	"modificationDate":     true,
	"updateDate":           true,
}

// IsEcho reports whether next, a contact S-360 pushed, is only the echo
// of sent, a write usher made for the CRM. prev is the version usher held
// before next; nil when next is the first (the CRM created the contact).
//
// With a previous version, next is an echo when every field that differs
// from prev has exactly the value the CRM sent: a field S-360 changed on
// its own makes it a real change, to be forwarded. Without one, next is an
// echo when it holds every value the CRM sent; fields S-360 filled in
// (defaults, identity) are news to nobody but the CRM's create request.
// Identity and bookkeeping fields (contactNumber, lastUpdateDate …) are
// ignored. Objects are compared field by field, arrays and scalars whole.
func IsEcho(prev, next, sent json.RawMessage) bool {
	n, okN := decodeEcho(next)
	s, okS := decodeEcho(sent)
	if !okN || !okS {
		return false
	}
	nm, okN := n.(map[string]any)
	sm, okS := s.(map[string]any)
	if !okN || !okS {
		return false
	}
	if prev == nil {
		return contains(nm, sm, true)
	}
	p, ok := decodeEcho(prev)
	pm, okP := p.(map[string]any)
	if !ok || !okP {
		return false
	}
	return covered(pm, nm, sm, true, true)
}

// absent stands for a field an object does not have, which is not the
// same as a field holding null.
type absentT struct{}

var absent = absentT{}

func field(m map[string]any, k string) any {
	if v, ok := m[k]; ok {
		return v
	}
	return absent
}

// covered reports whether every difference between prev and next is a
// value sent holds; top skips the ignored top-level fields.
func covered(prev, next, sent any, sentHas, top bool) bool {
	if reflect.DeepEqual(prev, next) {
		return true
	}
	pm, okP := prev.(map[string]any)
	nm, okN := next.(map[string]any)
	sm, okS := sent.(map[string]any)
	if okN && okS && (okP || prev == absent) {
		for k := range union(pm, nm) {
			if top && echoIgnored[k] {
				continue
			}
			sv := field(sm, k)
			if !covered(field(pm, k), field(nm, k), sv, sv != absent, false) {
				return false
			}
		}
		return true
	}
	return sentHas && reflect.DeepEqual(sent, next)
}

// contains reports whether next holds every value of sent, objects
// compared field by field; top skips the ignored top-level fields.
func contains(next, sent map[string]any, top bool) bool {
	for k, sv := range sent {
		if top && echoIgnored[k] {
			continue
		}
		nv, ok := next[k]
		if !ok {
			return false
		}
		nm, okN := nv.(map[string]any)
		sm, okS := sv.(map[string]any)
		if okN && okS {
			if !contains(nm, sm, false) {
				return false
			}
			continue
		}
		if !reflect.DeepEqual(nv, sv) {
			return false
		}
	}
	return true
}

func union(a, b map[string]any) map[string]struct{} {
	out := make(map[string]struct{}, len(a)+len(b))
	for k := range a {
		out[k] = struct{}{}
	}
	for k := range b {
		out[k] = struct{}{}
	}
	return out
}

// decodeEcho decodes raw keeping numbers as written, so 10228100001234
// compares digit for digit.
func decodeEcho(raw json.RawMessage) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}
