package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/usher-hub/usher"
)

// RunFaults checks that a payload the database refuses leaves nothing
// behind, alone or among concurrent payloads (which an engine may commit
// together), and that a caller who gives up stores nothing partial.
func RunFaults(t *testing.T, open OpenFunc) {
	t.Run("RefusedDocumentRollsBackItsPayload", func(t *testing.T) {
		s := fresh(t, open)
		payload := []usher.Document{contact(t, "myvenue", "1", "Ann", "2022-11-01T05:53:22.530+00:00"), unstorable(t, "2")}
		if _, err := s.SaveDocuments(ctx, payload); err == nil {
			t.Fatal("a payload with a document the database refuses was stored")
		}
		if got := find(t, s, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamContacts}); len(got) != 0 {
			t.Fatalf("a refused payload left %d documents", len(got))
		}
		mustOutcomes(t, s, payload[:1], usher.OutcomeStored)
	})

	t.Run("RefusedPayloadAmongConcurrentOnes", func(t *testing.T) {
		s := fresh(t, open)
		const payloads = 12
		errs := make([]error, payloads)
		var wg sync.WaitGroup
		for i := range payloads {
			docs := []usher.Document{
				contact(t, "myvenue", fmt.Sprint(i*10), "Ann", "2022-11-01T05:53:22.530+00:00"),
				check(t, "myvenue", int64(1000+i), "2023-02-09 18:25:10", "OK"),
			}
			if i%4 == 3 {
				docs = append(docs, unstorable(t, fmt.Sprint(i*10+1)))
			}
			wg.Go(func() { _, errs[i] = s.SaveDocuments(ctx, docs) })
		}
		wg.Wait()
		for i, err := range errs {
			if (err != nil) != (i%4 == 3) {
				t.Fatalf("payload %d: err = %v; only payloads with a refused document may fail", i, err)
			}
			contacts := find(t, s, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamContacts, ExternalID: fmt.Sprint(i * 10)})
			checks := find(t, s, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamTicketChecks, ExternalID: fmt.Sprint(1000 + i)})
			if stored := len(contacts) + len(checks); (err == nil && stored != 2) || (err != nil && stored != 0) {
				t.Fatalf("payload %d (err %v) left %d of its 2 storable documents", i, err, stored)
			}
		}
	})

	t.Run("CanceledCallerStoresNothingPartial", func(t *testing.T) {
		s := fresh(t, open)
		canceled, cancel := context.WithCancel(ctx)
		cancel()
		payload := []usher.Document{contact(t, "myvenue", "1", "Ann", "2022-11-01T05:53:22.530+00:00"),
			contact(t, "myvenue", "2", "Bob", "2022-11-01T05:53:22.530+00:00")}
		_, err := s.SaveDocuments(canceled, payload)
		got := find(t, s, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamContacts})
		// Either outcome is correct, a part of the payload is not.
		if (err == nil && len(got) != 2) || (err != nil && len(got) != 0) {
			t.Fatalf("canceled save: err %v with %d of 2 documents stored", err, len(got))
		}
		if err != nil && usher.ErrorCode(err) != usher.EUNAVAILABLE {
			t.Fatalf("canceled save: code %s, want %s so that the client retries", usher.ErrorCode(err), usher.EUNAVAILABLE)
		}
	})
}

// unstorable is a contact whose body is not JSON: Describe never makes
// one, so here it stands for whatever the database itself refuses
// (SQLite's json_valid check, PostgreSQL's jsonb parser).
func unstorable(t *testing.T, number string) usher.Document {
	t.Helper()
	d := contact(t, "myvenue", number, "Bad", "2022-11-01T05:53:22.530+00:00")
	d.Raw = json.RawMessage(`{"contactNumber": "` + number + `", "broken": `)
	return d
}
