package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/usher-hub/usher"
)

// RunVersionedPayloads checks contacts and orders saved as a whole payload:
// an engine may store them set-based (PostgreSQL does, in one statement,
// unless an external id repeats in the payload), and must still number
// versions, move heads, report outcomes, deliver to the CRM and queue the
// analytics projector as if it stored them one at a time, in the payload's
// order.
func RunVersionedPayloads(t *testing.T, open OpenFunc) {
	t.Run("DistinctIDs", func(t *testing.T) { t.Parallel(); versionedPayload(t, open(t), false) })
	t.Run("RepeatedID", func(t *testing.T) { t.Parallel(); versionedPayload(t, open(t), true) })
}

// versionedCase is a document of the payload and what storing it must do.
type versionedCase struct {
	doc     usher.Document
	outcome usher.Outcome
	version int  // the version it is stored as; 0 for a duplicate
	head    bool // whether it becomes current
}

func versionedPayload(t *testing.T, s usher.Store, repeat bool) {
	current := versionedHistory(t, s)
	s.RouteDeliveries([]usher.DeliveryRoute{
		{Institution: "myvenue", Stream: usher.StreamContacts, Destination: "crm-a"},
		{Institution: "myvenue", Stream: usher.StreamOrders, Destination: "crm-a"},
	})
	cases := versionedCases(t, repeat)
	var docs []usher.Document
	var want, again []usher.Outcome
	for _, c := range cases {
		docs, want, again = append(docs, c.doc), append(want, c.outcome), append(again, usher.OutcomeDuplicate)
	}
	mustOutcomes(t, s, docs, want...)
	mustOutcomes(t, s, docs, again...)
	checkVersions(t, s, cases, current...)
	checkDeliveredHeads(t, s, cases)
	checkQueuedOnce(t, s, cases)
}

// versionedHistory stores what the payload finds, with nothing left to
// project, and returns the documents that the payload leaves current.
func versionedHistory(t *testing.T, s usher.Store) []usher.Document {
	t.Helper()
	ann := contact(t, "myvenue", "1", "Ann", "2023-02-01T00:00:00.000+00:00")
	di := contact(t, "myvenue", "6", "Di", "2023-02-05T00:00:00.000+00:00")
	mustOutcomes(t, s, []usher.Document{ann, contact(t, "myvenue", "2", "Bob", "2023-02-01T00:00:00.000+00:00"),
		contact(t, "myvenue", "3", "Cy", "2023-02-05T00:00:00.000+00:00"), di, order(t, "myvenue", 100, "CLOSED", 1)},
		usher.OutcomeStored, usher.OutcomeStored, usher.OutcomeStored, usher.OutcomeStored, usher.OutcomeStored)
	// Contact 3's highest version (2, a late old one) is not its head (1).
	mustOutcomes(t, s, []usher.Document{contact(t, "myvenue", "3", "Cyril", "2023-02-01T00:00:00.000+00:00")}, usher.OutcomeStored)
	project(t, s, 1000)
	return []usher.Document{ann, di}
}

// versionedCases is the payload: duplicates, new ids, new versions of
// known ids, a late old version, another institution's id, a check and a
// site copy (stored, but neither queued nor delivered), and with repeat
// an id twice, with the same and with new content.
func versionedCases(t *testing.T, repeat bool) []versionedCase {
	eve := contact(t, "myvenue", "4", "Eve", "2023-02-01T00:00:00.000+00:00")
	cases := []versionedCase{
		{contact(t, "myvenue", "1", "Ann", "2023-02-01T00:00:00.000+00:00"), usher.OutcomeDuplicate, 0, false},
		{contact(t, "myvenue", "2", "Bobby", "2023-02-02T00:00:00.000+00:00"), usher.OutcomeStored, 2, true},
		{eve, usher.OutcomeStored, 1, true},
		{check(t, "myvenue", 10228845124401, "2023-02-09 18:25:10", "OK"), usher.OutcomeStored, 1, true},
		{order(t, "myvenue", 100, "CLOSED", 2), usher.OutcomeStored, 2, true},
		{order(t, "myvenue", 101, "CLOSED", 1), usher.OutcomeStored, 1, true},
		{contact(t, "myvenue", "3", "Cyd", "2023-02-10T00:00:00.000+00:00"), usher.OutcomeStored, 3, true},
		{contact(t, "venue-b", "4", "Eve", "2023-02-01T00:00:00.000+00:00"), usher.OutcomeStored, 1, true},
		{contact(t, "myvenue", "6", "Dot", "2023-01-01T00:00:00.000+00:00"), usher.OutcomeStored, 2, false},
		{session(t, "myvenue", 11, "2026-05-01", "10:00", 20), usher.OutcomeStored, 1, true},
	}
	if !repeat {
		return cases
	}
	return append(cases,
		versionedCase{contact(t, "myvenue", "4", "Eva", "2023-02-03T00:00:00.000+00:00"), usher.OutcomeStored, 2, true},
		versionedCase{eve, usher.OutcomeDuplicate, 0, false},
		versionedCase{order(t, "myvenue", 101, "CLOSED", 5), usher.OutcomeStored, 2, true})
}

// checkVersions checks the version each document was stored as, and that
// each id's head is the last document of the payload that became current
// or else what was stored before (current).
func checkVersions(t *testing.T, s usher.Store, cases []versionedCase, current ...usher.Document) {
	t.Helper()
	heads := map[string]usher.Document{}
	for _, d := range current {
		heads[keyOf(d)] = d
	}
	for _, c := range cases {
		if c.head {
			heads[keyOf(c.doc)] = c.doc
		}
		if c.version == 0 {
			continue
		}
		if got := storedVersion(t, s, c.doc); got != c.version {
			t.Errorf("%s stored as version %d, want %d", keyOf(c.doc), got, c.version)
		}
	}
	for key, d := range heads {
		cur := find(t, s, usher.DocumentFilter{Institution: d.Institution, Stream: d.Stream, ExternalID: d.ExternalID})
		if len(cur) != 1 || cur[0].Hash != d.Hash {
			var got []string
			for _, c := range cur {
				got = append(got, fmt.Sprintf("v%d %s", c.Version, c.Hash))
			}
			t.Errorf("current %s = %v, want hash %s", key, got, d.Hash)
		}
	}
}

// storedVersion returns the version stored with d's content, 0 if none.
func storedVersion(t *testing.T, s usher.Store, d usher.Document) int {
	t.Helper()
	all := find(t, s, usher.DocumentFilter{Institution: d.Institution, Stream: d.Stream, ExternalID: d.ExternalID, AllVersions: true})
	for _, v := range all {
		if v.Hash == d.Hash {
			return v.Version
		}
	}
	return 0
}

// checkDeliveredHeads checks that every routed version that became current
// was delivered once, in the payload's order.
func checkDeliveredHeads(t *testing.T, s usher.Store, cases []versionedCase) {
	t.Helper()
	var want []string
	for _, c := range cases {
		if c.head && c.doc.Institution == "myvenue" && (c.doc.Stream == usher.StreamContacts || c.doc.Stream == usher.StreamOrders) {
			want = append(want, fmt.Sprintf("%s v%d %s", keyOf(c.doc), c.version, c.doc.Hash))
		}
	}
	var got []string
	for _, p := range payloads(t, deliveries(t, s)) {
		got = append(got, fmt.Sprintf("%s v%d %s", keyOf(usher.Document{Institution: "myvenue", Stream: p.Stream, ExternalID: p.ExternalID}), p.Version, p.Hash))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("deliveries:\n%s\nwant:\n%s", got, want)
	}
}

// checkQueuedOnce checks that the projector finds each stored contact and
// order version queued exactly once, and no other stream's documents.
func checkQueuedOnce(t *testing.T, s usher.Store, cases []versionedCase) {
	t.Helper()
	var contactVersions, orderVersions int64
	orders := map[string]bool{}
	for _, c := range cases {
		switch {
		case c.outcome != usher.OutcomeStored:
		case c.doc.Stream == usher.StreamContacts:
			contactVersions++
		case c.doc.Stream == usher.StreamOrders:
			orderVersions++
			orders[c.doc.ExternalID] = true
		}
	}
	// No order first: what is left pending is one entry per order version.
	p, err := s.ProjectAnalytics(context.Background(), 0)
	if err != nil || p.Checks != 1 || p.Contacts != contactVersions || p.Orders != 0 || p.Pending != orderVersions {
		t.Fatalf("projection = %+v, %v; want 1 check, %d contact versions and %d order versions left", p, err, contactVersions, orderVersions)
	}
	p, err = s.ProjectAnalytics(context.Background(), 1000)
	if err != nil || p.Orders != int64(len(orders)) || p.Pending != 0 {
		t.Fatalf("projection = %+v, %v; want %d orders and nothing left", p, err, len(orders))
	}
}

func keyOf(d usher.Document) string {
	return d.Institution + "/" + string(d.Stream) + "/" + d.ExternalID
}
