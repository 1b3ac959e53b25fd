package s360

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
)

// renameFirst is a change written through the API: a field the venue
// never changes itself.
func renameFirst(c map[string]any) {
	ic, _ := c["individualContact"].(map[string]any)
	next := map[string]any{}
	for k, v := range ic {
		next[k] = v
	}
	next["firstName"] = "Renamed"
	c["individualContact"] = next
}

// TestAPIChangeCombinesWithTheVenuesInTimeOrder: a change through the API
// applies to the venue's contact as it is then: a venue change before it,
// even handed out after it, keeps its fields; a venue change after it
// starts from it; each push of the contact carries it as it is after all
// changes so far, with a lastUpdateDate after each.
func TestAPIChangeCombinesWithTheVenuesInTimeOrder(t *testing.T) {
	v := NewVenue(VenueConfig{Seed: 3, Start: testStart, Scale: 2})
	from := testStart.Add(33 * time.Hour)
	change := from.Add(3 * time.Hour)
	v.Until(from)
	// earlier: a person the venue changes between from and the API's
	// change (that version is still to be handed out); later: a person
	// whose e-mail, phone, addresses, consent or role the venue changes
	// after the API's change.
	var earlier, later *contact
	for _, x := range v.contacts {
		i := x.inForce(from)
		if i < 0 || x.isStructure() || i+1 >= len(x.gen) {
			continue
		}
		if next := x.gen[i+1].at; earlier == nil && !next.After(change) {
			earlier = x
		} else if later == nil && x.inForce(change) == i && next.After(change) && !sameFields(t, x.gen[i].raw, x.gen[i+1].raw) {
			later = x
		}
	}
	if earlier == nil || later == nil {
		t.Fatal("no contacts changed by the venue before and after the API's change: pick another seed")
	}
	for _, c := range []*contact{earlier, later} {
		number, inForce := c.doc.ContactNumber, c.gen[c.inForce(change)]
		got, ok := v.ChangeContactAt(number, change, renameFirst)
		if !ok {
			t.Fatalf("contact %s unknown to the API at %s", number, change)
		}
		now, _ := v.ContactAt(number, change)
		for _, raw := range []json.RawMessage{got, now} {
			if !strings.Contains(string(raw), `"Renamed"`) || !sameFields(t, raw, inForce.raw) {
				t.Fatalf("contact after the API's change: %s, want the venue's version in force %s with the new first name", raw, inForce.raw)
			}
		}
		if found := v.ContactsByEmailAt(strings.ToUpper(fieldOf(t, inForce.raw, "email").(string)), change); !containsNumber(t, found, number) {
			t.Fatalf("searching %s's e-mail found %d contacts, not it", number, len(found))
		}
	}
	handed := v.Until(change)
	pushed := lastPushed(handed, earlier.doc.ContactNumber)
	if !strings.Contains(string(pushed), `"Renamed"`) || !sameFields(t, pushed, earlier.gen[earlier.inForce(change)].raw) || fieldOf(t, pushed, "lastUpdateDate") != isoTime(change) {
		t.Fatalf("pushed as %s, want the venue's earlier change and the API's, updated at %s", pushed, isoTime(change))
	}
	next := later.gen[later.inForce(change)+1]
	pushed = lastPushed(v.Until(next.at), later.doc.ContactNumber)
	if !strings.Contains(string(pushed), `"Renamed"`) || !sameFields(t, pushed, next.raw) || fieldOf(t, pushed, "lastUpdateDate") != isoTime(next.at) {
		t.Fatalf("pushed as %s after the venue's later change %s: want its fields, the API's first name, updated at %s", pushed, next.raw, isoTime(next.at))
	}
}

// sameFields reports whether a and b agree on the fields the venue
// changes.
func sameFields(t *testing.T, a, b []byte) bool {
	for _, k := range []string{"email", "cellPhoneNumber", "addresses", "authorizations", "role"} {
		if !sameJSON(fieldOf(t, a, k), fieldOf(t, b, k)) {
			return false
		}
	}
	return true
}

func lastPushed(events []Event, number string) json.RawMessage {
	var raw json.RawMessage
	for _, e := range events {
		if e.Stream == usher.StreamContacts && e.ExternalID == number {
			raw = e.Raw
		}
	}
	return raw
}

func fieldOf(t *testing.T, raw []byte, k string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%v in %s", err, raw)
	}
	return m[k]
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func containsNumber(t *testing.T, raws []json.RawMessage, number string) bool {
	for _, raw := range raws {
		if fieldOf(t, raw, "contactNumber") == number {
			return true
		}
	}
	return false
}
