package storetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/usher-hub/usher"
)

// RunQuarantine checks that quarantined documents are kept byte for byte
// in the same transaction as the valid documents of their payload, listed
// by institution, and released into the store exactly once.
func RunQuarantine(t *testing.T, open OpenFunc) {
	t.Run("SaveAndQuarantineTogether", func(t *testing.T) {
		s := fresh(t, open)
		good := contact(t, "myvenue", "1", "Ann", "2022-11-01T05:53:22.530+00:00")
		bad := badDoc(t, "myvenue", usher.StreamContacts, `{"contactNumber": 42}`)
		got, err := s.SaveDocumentsAndQuarantine(ctx, []usher.Document{good}, []usher.QuarantinedDocument{bad})
		if err != nil || fmt.Sprint(got) != fmt.Sprint([]usher.Outcome{usher.OutcomeStored}) {
			t.Fatalf("outcomes = %v, %v; want [stored]", got, err)
		}
		if docs := find(t, s, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamContacts}); len(docs) != 1 {
			t.Fatalf("stored %d contacts, want 1", len(docs))
		}
		q := findQuarantined(t, s, usher.QuarantineFilter{})
		if len(q) != 1 {
			t.Fatalf("quarantined %d, want 1", len(q))
		}
		d := q[0]
		if d.ID == 0 || d.Institution != "myvenue" || d.Stream != usher.StreamContacts || d.DocType != usher.DocS360Contact ||
			d.ExternalID != "42" || d.Hash != bad.Hash || d.SchemaVersion != bad.SchemaVersion || d.SeenCount != 1 ||
			d.ReceivedAt.IsZero() || d.LastSeenAt.IsZero() || d.ReleasedAt != nil || d.ReplayedAt != nil || d.ReleaseOutcome != "" {
			t.Fatalf("quarantined row = %+v", d)
		}
		if !bytes.Equal(d.Raw, bad.Raw) {
			t.Fatalf("raw = %q, want %q byte for byte", d.Raw, bad.Raw)
		}
		if fmt.Sprint(d.Violations) != fmt.Sprint(bad.Violations) {
			t.Fatalf("violations = %v, want %v", d.Violations, bad.Violations)
		}
	})

	t.Run("OnlyQuarantine", func(t *testing.T) {
		s := fresh(t, open)
		got, err := s.SaveDocumentsAndQuarantine(ctx, nil, []usher.QuarantinedDocument{badDoc(t, "myvenue", usher.StreamOrders, `{}`)})
		if err != nil || len(got) != 0 {
			t.Fatalf("outcomes = %v, %v; want none", got, err)
		}
		if q := findQuarantined(t, s, usher.QuarantineFilter{}); len(q) != 1 {
			t.Fatalf("quarantined %d, want 1", len(q))
		}
	})

	t.Run("RawBytesAnyDatabaseColumnWouldRefuse", func(t *testing.T) {
		s := fresh(t, open)
		raws := []string{`{"name": "a\u0000b"}`, `{"name": "\ud800"}`, "{\"name\": \"\xff\xfe\"}", `[1, 2]`, `"just a string"`}
		var bad []usher.QuarantinedDocument
		for i, raw := range raws {
			d := badDoc(t, "myvenue", usher.StreamContacts, `{}`)
			d.Raw, d.Hash = []byte(raw), fmt.Sprintf("hash-%d", i)
			bad = append(bad, d)
		}
		if _, err := s.SaveDocumentsAndQuarantine(ctx, nil, bad); err != nil {
			t.Fatalf("quarantine must accept any bytes: %v", err)
		}
		q := findQuarantined(t, s, usher.QuarantineFilter{})
		if len(q) != len(raws) {
			t.Fatalf("quarantined %d, want %d", len(q), len(raws))
		}
		for i, d := range q {
			if string(d.Raw) != raws[i] {
				t.Errorf("raw %d = %q, want %q", i, d.Raw, raws[i])
			}
		}
	})

	t.Run("FailedPayloadQuarantinesNothing", func(t *testing.T) {
		s := fresh(t, open)
		broken := check(t, "myvenue", 1, "2023-02-09 18:25:10", "OK")
		broken.Check = nil // a ticket check without its columns cannot be stored
		_, err := s.SaveDocumentsAndQuarantine(ctx, []usher.Document{broken}, []usher.QuarantinedDocument{badDoc(t, "myvenue", usher.StreamTicketChecks, `{}`)})
		if err == nil {
			t.Fatal("want an error for a ticket check without columns")
		}
		if q := findQuarantined(t, s, usher.QuarantineFilter{Status: usher.QuarantineAll}); len(q) != 0 {
			t.Fatalf("quarantined %d after a failed payload, want 0: one transaction", len(q))
		}
	})

	t.Run("PendingDuplicateIsOneRowSeenTwice", func(t *testing.T) {
		s := fresh(t, open)
		first := badDoc(t, "myvenue", usher.StreamContacts, `{"contactNumber": 42}`)
		again := first
		again.SchemaVersion = "2 (test)"
		again.Violations = []usher.Violation{{Path: "$.contactNumber", Message: "still wrong"}}
		mustQuarantine(t, s, first)
		mustQuarantine(t, s, again)
		q := findQuarantined(t, s, usher.QuarantineFilter{})
		if len(q) != 1 || q[0].SeenCount != 2 || q[0].SchemaVersion != "2 (test)" || q[0].Violations[0].Message != "still wrong" {
			t.Fatalf("rows = %+v; want one row seen twice with the latest report", q)
		}
		other := badDoc(t, "other", usher.StreamContacts, `{"contactNumber": 42}`)
		mustQuarantine(t, s, other)
		if q := findQuarantined(t, s, usher.QuarantineFilter{}); len(q) != 2 {
			t.Fatalf("same content at another institution: %d rows, want 2", len(q))
		}
	})

	t.Run("Filters", func(t *testing.T) {
		s := fresh(t, open)
		mustQuarantine(t, s,
			badDoc(t, "venue-a", usher.StreamContacts, `{"n": 1}`),
			badDoc(t, "venue-a", usher.StreamOrders, `{"n": 2}`),
			badDoc(t, "venue-b", usher.StreamContacts, `{"n": 3}`),
			badDoc(t, "venue-c", usher.StreamTicketChecks, `{"n": 4}`))
		count := func(f usher.QuarantineFilter) int { return len(findQuarantined(t, s, f)) }
		cases := []struct {
			name string
			f    usher.QuarantineFilter
			want int
		}{
			{"all institutions", usher.QuarantineFilter{}, 4},
			{"no institution", usher.QuarantineFilter{Institutions: []string{}}, 0},
			{"one", usher.QuarantineFilter{Institutions: []string{"venue-a"}}, 2},
			{"two", usher.QuarantineFilter{Institutions: []string{"venue-a", "venue-c"}}, 3},
			{"unknown", usher.QuarantineFilter{Institutions: []string{"venue-z"}}, 0},
			{"stream", usher.QuarantineFilter{Stream: usher.StreamContacts}, 2},
			{"stream and institution", usher.QuarantineFilter{Institutions: []string{"venue-b"}, Stream: usher.StreamContacts}, 1},
			{"released", usher.QuarantineFilter{Status: usher.QuarantineReleased}, 0},
			{"limit", usher.QuarantineFilter{Limit: 3}, 3},
		}
		for _, c := range cases {
			if got := count(c.f); got != c.want {
				t.Errorf("%s: %d rows, want %d", c.name, got, c.want)
			}
		}
		page1 := findQuarantined(t, s, usher.QuarantineFilter{Limit: 2})
		page2 := findQuarantined(t, s, usher.QuarantineFilter{Limit: 2, AfterID: page1[1].ID})
		if len(page2) != 2 || page2[0].ID <= page1[1].ID || page1[0].ID >= page1[1].ID {
			t.Fatalf("paging oldest first: page1 %v, page2 %v", quarantineIDs(page1), quarantineIDs(page2))
		}
	})

	t.Run("RecheckRecordsTheLatestReport", func(t *testing.T) {
		s := fresh(t, open)
		mustQuarantine(t, s, badDoc(t, "myvenue", usher.StreamContacts, `{"contactNumber": 42}`))
		id := findQuarantined(t, s, usher.QuarantineFilter{})[0].ID
		vs := []usher.Violation{{Path: "$.x", Message: "new rule"}}
		if err := s.RecheckQuarantined(ctx, id, "3 (test)", vs); err != nil {
			t.Fatal(err)
		}
		d := findQuarantined(t, s, usher.QuarantineFilter{})[0]
		if d.SchemaVersion != "3 (test)" || fmt.Sprint(d.Violations) != fmt.Sprint(vs) || d.ReplayedAt == nil || d.ReleasedAt != nil {
			t.Fatalf("after recheck: %+v", d)
		}
		if err := s.RecheckQuarantined(ctx, id+1000, "3", vs); usher.ErrorCode(err) != usher.ENOTFOUND {
			t.Fatalf("recheck of an unknown id: %v, want not_found", err)
		}
	})

	t.Run("ReleaseStoresOnce", func(t *testing.T) {
		s := fresh(t, open)
		doc := contact(t, "myvenue", "42", "Ann", "2022-11-01T05:53:22.530+00:00")
		q := badDoc(t, "myvenue", usher.StreamContacts, string(doc.Raw))
		q.Hash = doc.Hash
		mustQuarantine(t, s, q)
		id := findQuarantined(t, s, usher.QuarantineFilter{})[0].ID
		outcome, released, err := s.ReleaseQuarantined(ctx, id, doc)
		if err != nil || !released || outcome != usher.OutcomeStored {
			t.Fatalf("release = %v, %v, %v; want stored, true", outcome, released, err)
		}
		outcome, released, err = s.ReleaseQuarantined(ctx, id, doc)
		if err != nil || released || outcome != "" {
			t.Fatalf("second release = %v, %v, %v; want nothing done", outcome, released, err)
		}
		if all := find(t, s, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamContacts, AllVersions: true}); len(all) != 1 {
			t.Fatalf("stored %d versions, want 1", len(all))
		}
		if p := findQuarantined(t, s, usher.QuarantineFilter{}); len(p) != 0 {
			t.Fatalf("%d still pending, want 0", len(p))
		}
		r := findQuarantined(t, s, usher.QuarantineFilter{Status: usher.QuarantineReleased})
		if len(r) != 1 || r[0].ReleasedAt == nil || r[0].ReleaseOutcome != usher.OutcomeStored {
			t.Fatalf("released rows = %+v", r)
		}
		if _, _, err := s.ReleaseQuarantined(ctx, id+1000, doc); usher.ErrorCode(err) != usher.ENOTFOUND {
			t.Fatalf("release of an unknown id: %v, want not_found", err)
		}
		// Once released, the same content may be quarantined anew.
		mustQuarantine(t, s, q)
		if p := findQuarantined(t, s, usher.QuarantineFilter{}); len(p) != 1 || p[0].ID == id {
			t.Fatalf("re-quarantined rows = %v", quarantineIDs(p))
		}
	})

	t.Run("ReleaseTicketCheckAndDuplicate", func(t *testing.T) {
		s := fresh(t, open)
		c := check(t, "myvenue", 10228845124401, "2023-02-09 18:25:10", "OK")
		mustOutcomes(t, s, []usher.Document{c}, usher.OutcomeStored)
		mustQuarantine(t, s, badDoc(t, "myvenue", usher.StreamTicketChecks, string(c.Raw)))
		id := findQuarantined(t, s, usher.QuarantineFilter{})[0].ID
		outcome, released, err := s.ReleaseQuarantined(ctx, id, c)
		if err != nil || !released || outcome != usher.OutcomeDuplicate {
			t.Fatalf("release = %v, %v, %v; want duplicate, true", outcome, released, err)
		}
	})

	t.Run("ConcurrentReleasesStoreOnce", func(t *testing.T) {
		s := fresh(t, open)
		doc := order(t, "myvenue", 10000702652, "CLOSED", 40000)
		mustQuarantine(t, s, badDoc(t, "myvenue", usher.StreamOrders, string(doc.Raw)))
		id := findQuarantined(t, s, usher.QuarantineFilter{})[0].ID
		var mu sync.Mutex
		releases, failures := 0, 0
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, released, err := s.ReleaseQuarantined(ctx, id, doc)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					failures++
				}
				if released {
					releases++
				}
			}()
		}
		wg.Wait()
		if releases != 1 || failures != 0 {
			t.Fatalf("%d releases and %d failures, want exactly 1 release", releases, failures)
		}
	})
}

// badDoc is a quarantined document of raw with one violation.
func badDoc(t *testing.T, inst string, stream usher.Stream, raw string) usher.QuarantinedDocument {
	t.Helper()
	h, err := usher.HashJSON([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return usher.QuarantinedDocument{
		Institution: inst, Stream: stream, DocType: usher.DocTypeOf(stream), ExternalID: "42", Hash: h, Raw: []byte(raw),
		SchemaVersion: "1 (built-in/test.yaml, sha256:00000000)",
		Violations:    []usher.Violation{{Path: "$.contactNumber", Message: "expected string, got number 42"}},
	}
}

func mustQuarantine(t *testing.T, s usher.Store, bad ...usher.QuarantinedDocument) {
	t.Helper()
	if _, err := s.SaveDocumentsAndQuarantine(context.Background(), nil, bad); err != nil {
		t.Fatalf("quarantine: %v", err)
	}
}

func findQuarantined(t *testing.T, s usher.Store, f usher.QuarantineFilter) []usher.QuarantinedDocument {
	return must[[]usher.QuarantinedDocument](t, "find quarantined")(s.FindQuarantined(ctx, f))
}

func quarantineIDs(q []usher.QuarantinedDocument) []int64 {
	out := make([]int64, len(q))
	for i, d := range q {
		out[i] = d.ID
	}
	return out
}
