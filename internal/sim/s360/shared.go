package s360

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/usher-hub/usher"
)

// One contact base: S-360's API (the s360api stand-in) reads and changes
// the venue's own contacts through ContactAt, ContactsByEmailAt and
// ChangeContactAt, as real S-360 has one contact base for its webhooks and
// its API.
//
// How the venue's changes and the API's combine: every change, the
// venue's or the API's, applies at its venue time to the contact as it is
// then, in time order (the venue's first at the same instant). A change
// through the API merges its fields into the contact; a venue change sets
// the top-level fields it changes (its e-mail, phone, addresses,
// newsletter consent, role), so a later venue change starts from the
// API's and replaces only what it changes itself. The venue draws its
// activity (who buys, what changes) from its own view of the contact,
// which the API never alters: a venue run with the same seed and the same
// API calls at the same venue times pushes the same documents.
//
// A contact's push carries it as it is at its last change before the run;
// the API's changes get lastUpdateDate from the venue's clock, after every
// earlier version's.

// snapshot is one version the venue generated of a contact.
type snapshot struct {
	at    time.Time
	raw   []byte
	email string
}

// apiChange is a change written through S-360's API: apply merges it into
// a contact's fields (it must not keep or change what it is given beyond
// that contact).
type apiChange struct {
	at    time.Time
	apply func(contact map[string]any)
}

// keep records a new version, forgetting the ones no read can ask for
// any more: older than the one in force at handedOut. A contact changed
// through the API keeps them all, to replay the changes in order.
func (c *contact) keep(s snapshot, handedOut time.Time) {
	c.gen = append(c.gen, s)
	if len(c.api) > 0 {
		return
	}
	drop := 0
	for drop+1 < len(c.gen) && !c.gen[drop+1].at.After(handedOut) {
		drop++
	}
	c.gen = c.gen[drop:]
}

// inForce returns the index of the venue's version in force at t, or -1
// when the contact did not exist yet.
func (c *contact) inForce(t time.Time) int {
	return sort.Search(len(c.gen), func(i int) bool { return c.gen[i].at.After(t) }) - 1
}

// stateAt returns the contact as S-360 holds it at t.
func (c *contact) stateAt(t time.Time) (json.RawMessage, bool) {
	i := c.inForce(t)
	if i < 0 {
		return nil, false
	}
	if len(c.api) == 0 || t.Before(c.api[0].at) {
		return c.gen[i].raw, true
	}
	return c.replay(t), true
}

// replay folds the venue's versions and the API's changes up to t, in
// time order, from the venue's version in force at the first API change.
func (c *contact) replay(t time.Time) json.RawMessage {
	state := decodeObject(c.gen[0].raw)
	prev, last := c.gen[0].raw, c.gen[0].at
	i, j := 1, 0
	for {
		gen := i < len(c.gen) && !c.gen[i].at.After(t)
		api := j < len(c.api) && !c.api[j].at.After(t)
		var at time.Time
		switch {
		case gen && (!api || !c.api[j].at.Before(c.gen[i].at)):
			setChangedFields(state, prev, c.gen[i].raw)
			prev, at = c.gen[i].raw, c.gen[i].at
			i++
		case api:
			c.api[j].apply(state)
			at = c.api[j].at
			j++
		default:
			state["lastUpdateDate"] = isoTime(last)
			raw, err := json.Marshal(state)
			if err != nil {
				panic("s360: a decoded contact always marshals: " + err.Error())
			}
			return raw
		}
		if !at.After(last) {
			at = last.Add(time.Second)
		}
		last = at
	}
}

// setChangedFields sets in state the top-level fields that differ between
// the venue's versions prev and next: the fields the venue changed.
func setChangedFields(state map[string]any, prev, next []byte) {
	var p, n map[string]json.RawMessage
	_ = json.Unmarshal(prev, &p) // the venue's own documents
	_ = json.Unmarshal(next, &n)
	for k, v := range n {
		if k != "lastUpdateDate" && !bytes.Equal(p[k], v) {
			state[k] = decodeValue(v)
		}
	}
	for k := range p {
		if _, ok := n[k]; !ok {
			delete(state, k)
		}
	}
}

func decodeObject(raw []byte) map[string]any {
	m, _ := decodeValue(raw).(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

func decodeValue(raw []byte) any {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	_ = dec.Decode(&v)
	return v
}

// renderShared gives the contact events handed out, of contacts changed
// through the API, the contact as it is at the event: the venue's version
// drawn in advance does not hold the API's changes.
func (v *Venue) renderShared(out []Event) {
	for i, e := range out {
		if e.Stream != usher.StreamContacts {
			continue
		}
		c := v.byNumber[e.ExternalID]
		if c == nil || len(c.api) == 0 || e.At.Before(c.api[0].at) {
			continue
		}
		if raw, ok := c.stateAt(e.At); ok {
			out[i].Raw = raw
		}
	}
}

// ContactAt returns the venue's contact number as S-360's getContactData
// would answer at t, API changes included; false when the venue has no
// such contact at t.
func (v *Venue) ContactAt(number string, t time.Time) (json.RawMessage, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.advance(t)
	c := v.byNumber[number]
	if c == nil {
		return nil, false
	}
	return c.stateAt(t)
}

// ContactsByEmailAt returns the venue's contacts whose e-mail at t is
// email (case aside), oldest first.
func (v *Venue) ContactsByEmailAt(email string, t time.Time) []json.RawMessage {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.advance(t)
	var out []json.RawMessage
	for _, c := range v.contacts {
		i := c.inForce(t)
		if i < 0 {
			continue
		}
		if len(c.api) == 0 || t.Before(c.api[0].at) {
			if strings.EqualFold(c.gen[i].email, email) {
				out = append(out, c.gen[i].raw)
			}
			continue
		}
		raw := c.replay(t)
		if e, _ := decodeObject(raw)["email"].(string); strings.EqualFold(e, email) {
			out = append(out, raw)
		}
	}
	return out
}

// ChangeContactAt applies a change written through S-360's API to the
// venue's contact number as it is at t, queues the contact for the next
// contact push and returns it after the change; false when the venue has
// no such contact at t. A t before what was already handed out is taken
// as that moment: the past has been pushed.
func (v *Venue) ChangeContactAt(number string, t time.Time, apply func(contact map[string]any)) (json.RawMessage, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.advance(t)
	c := v.byNumber[number]
	if c == nil {
		return nil, false
	}
	if t.Before(v.handedOut) {
		t = v.handedOut
	}
	if n := len(c.api); n > 0 && t.Before(c.api[n-1].at) {
		t = c.api[n-1].at
	}
	i := c.inForce(t)
	if i < 0 {
		return nil, false
	}
	if len(c.api) == 0 {
		c.gen = c.gen[i:] // the replay starts from the version in force
	}
	c.api = append(c.api, apiChange{at: t, apply: apply})
	v.insertPending(Event{Stream: usher.StreamContacts, ExternalID: number, At: t, Created: t})
	return c.replay(t), true
}

// insertPending queues e among the pending events, in time order, after
// those at the same time.
func (v *Venue) insertPending(e Event) {
	i := sort.Search(len(v.pending), func(i int) bool { return v.pending[i].At.After(e.At) })
	v.pending = append(v.pending, Event{})
	copy(v.pending[i+1:], v.pending[i:])
	v.pending[i] = e
}
