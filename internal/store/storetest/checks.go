package storetest

import (
	"testing"

	"github.com/usher-hub/usher"
)

// RunTicketCheckPayloads checks the outcomes of ticket checks saved as a
// whole payload: an engine may store them set-based (PostgreSQL does, in
// one statement), and must still report each check as if stored one at a
// time, in the payload's order.
func RunTicketCheckPayloads(t *testing.T, open OpenFunc) {
	s := open(t)
	known := check(t, "myvenue", 10228845124400, "2023-02-09 18:25:00", "OK")
	mustOutcomes(t, s, []usher.Document{known}, usher.OutcomeStored)

	first := check(t, "myvenue", 10228845124401, "2023-02-09 18:25:10", "OK")
	again := check(t, "myvenue", 10228845124401, "2023-02-09 18:25:10", "FAIL") // same id, other content
	elsewhere := check(t, "venue-b", 10228845124401, "2023-02-09 18:25:10", "OK")
	c := contact(t, "myvenue", "3346662", "James", "2022-11-01T05:53:22.530+00:00")
	o := order(t, "myvenue", 10000702652, "CLOSED", 40000)
	mustOutcomes(t, s, []usher.Document{c, first, known, o, again, elsewhere, c},
		usher.OutcomeStored, usher.OutcomeStored, usher.OutcomeDuplicate, usher.OutcomeStored,
		usher.OutcomeDuplicate, usher.OutcomeStored, usher.OutcomeDuplicate)

	got := find(t, s, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamTicketChecks, ExternalID: "10228845124401"})
	if len(got) != 1 || got[0].Hash != first.Hash {
		t.Fatalf("stored check = %+v, want the payload's first one (hash %s)", got, first.Hash)
	}
	if got := find(t, s, usher.DocumentFilter{Institution: "venue-b", Stream: usher.StreamTicketChecks}); len(got) != 1 {
		t.Fatalf("venue-b has %d checks, want 1", len(got))
	}
	if got := find(t, s, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamContacts}); len(got) != 1 {
		t.Fatalf("contacts = %d, want 1", len(got))
	}

	// Ingest tells a conflict (same id, other content) from a duplicate
	// by the stored hash.
	hashes, err := s.TicketCheckHashes(t.Context(), "myvenue", []int64{10228845124401, 10228845124400, 42})
	if err != nil {
		t.Fatal(err)
	}
	if len(hashes) != 2 || hashes[10228845124401] != first.Hash || hashes[10228845124400] != known.Hash {
		t.Fatalf("hashes = %v, want those of the two stored checks", hashes)
	}
	if hashes, err := s.TicketCheckHashes(t.Context(), "venue-b", nil); err != nil || len(hashes) != 0 {
		t.Fatalf("no ids: %v %v", hashes, err)
	}
}
