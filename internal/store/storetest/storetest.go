// Package storetest is the conformance suite every storage engine passes:
// the same cases, run by the sqlite and postgres packages' tests against a
// real database.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/usher-hub/usher"
)

// OpenFunc opens a new, empty, migrated store for one test.
type OpenFunc func(t *testing.T) usher.Store

// Run runs the whole suite.
func Run(t *testing.T, open OpenFunc) {
	for _, part := range []struct {
		name string
		run  func(*testing.T, OpenFunc)
	}{
		{"Documents", RunDocuments},
		{"TicketCheckPayloads", RunTicketCheckPayloads},
		{"VersionedPayloads", RunVersionedPayloads},
		{"Erasure", RunErasure},
		{"ErasureOfCRMWrites", RunErasureOfCRMWrites},
		{"Quarantine", RunQuarantine},
		{"Site", RunSite},
		{"Analytics", RunAnalytics},
		{"AnalyticsProjection", RunAnalyticsProjection},
		{"Outbox", RunOutbox},
		{"CRM", RunCRM},
		{"Faults", RunFaults},
		{"Browse", RunBrowse},
		{"PathIndexes", RunPathIndexes},
		{"Retention", RunRetention},
	} {
		t.Run(part.name, func(t *testing.T) { part.run(t, open) })
	}
}

// RunDocuments checks versioning, idempotency and isolation of documents.
func RunDocuments(t *testing.T, open OpenFunc) {
	t.Run("NewThenDuplicateThenVersion", func(t *testing.T) {
		s := fresh(t, open)
		v1 := contact(t, "myvenue", "3346662", "James", "2022-11-01T05:53:22.530+00:00")
		mustOutcomes(t, s, []usher.Document{v1}, usher.OutcomeStored)
		mustOutcomes(t, s, []usher.Document{v1}, usher.OutcomeDuplicate)
		v2 := contact(t, "myvenue", "3346662", "Jim", "2022-11-02T05:53:22.530+00:00")
		mustOutcomes(t, s, []usher.Document{v2}, usher.OutcomeStored)

		cur := find(t, s, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamContacts})
		if len(cur) != 1 || cur[0].Version != 2 || cur[0].Hash != v2.Hash {
			t.Fatalf("current = %+v, want version 2 with hash %s", cur, v2.Hash)
		}
		versions(t, s, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamContacts, AllVersions: true}, 2)
	})

	t.Run("ReformattedContentIsDuplicate", func(t *testing.T) {
		s := fresh(t, open)
		a := contact(t, "myvenue", "1", "Ann", "2022-11-01T05:53:22.530+00:00")
		b := a
		b.Raw = reorder(t, a.Raw)
		mustOutcomes(t, s, []usher.Document{a, b}, usher.OutcomeStored, usher.OutcomeDuplicate)
	})

	t.Run("BodiesComeBackWhole", func(t *testing.T) {
		t.Parallel()
		// A payload's bodies, with multi-byte characters, escapes and
		// layout of their own, come back as they were sent: byte for
		// byte on SQLite (tested there), as the same JSON on PostgreSQL's
		// JSONB. Engines may store a payload's documents in one statement
		// and cut each body out of the others by its offset.
		s := open(t)
		a := contact(t, "myvenue", "1", "Zoë 😀", "2022-11-01T05:53:22.530+00:00")
		b := contact(t, "myvenue", "2", "Ünïcödé", "2022-11-01T05:53:22.530+00:00")
		c := contact(t, "myvenue", "3", "plain", "2022-11-01T05:53:22.530+00:00")
		var indented bytes.Buffer
		if err := json.Indent(&indented, a.Raw, "", "\t"); err != nil {
			t.Fatal(err)
		}
		a.Raw = indented.Bytes()
		b.Raw = bytes.ReplaceAll(b.Raw, []byte("Ü"), []byte(`\u00dc`))
		c.Raw = append(append([]byte(" \n"), c.Raw...), ' ')
		mustOutcomes(t, s, []usher.Document{a, b, c}, usher.OutcomeStored, usher.OutcomeStored, usher.OutcomeStored)
		got, err := s.FindDocuments(context.Background(), usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamContacts, AllVersions: true})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]byte{"1": a.Raw, "2": b.Raw, "3": c.Raw}
		if len(got) != len(want) {
			t.Fatalf("read back %d documents, want %d", len(got), len(want))
		}
		for _, d := range got {
			var g, w any
			if err := json.Unmarshal(d.Raw, &g); err != nil {
				t.Fatalf("contact %s: body %q: %v", d.ExternalID, d.Raw, err)
			}
			if err := json.Unmarshal(want[d.ExternalID], &w); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("contact %s: body %q, want %q", d.ExternalID, d.Raw, want[d.ExternalID])
			}
		}
	})

	t.Run("LateOldVersionDoesNotBecomeCurrent", func(t *testing.T) {
		s := fresh(t, open)
		newer := contact(t, "myvenue", "7", "New", "2023-05-01T00:00:00.000+00:00")
		older := contact(t, "myvenue", "7", "Old", "2023-04-01T00:00:00.000+00:00")
		mustOutcomes(t, s, []usher.Document{newer}, usher.OutcomeStored)
		mustOutcomes(t, s, []usher.Document{older}, usher.OutcomeStored)
		cur := find(t, s, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamContacts, ExternalID: "7"})
		if len(cur) != 1 || cur[0].Hash != newer.Hash {
			t.Fatalf("current is %+v, want the newer version", cur)
		}
	})

	t.Run("SameIDTwiceInOnePayload", func(t *testing.T) {
		s := fresh(t, open)
		a := order(t, "myvenue", 10000702652, "CLOSED", 40000)
		b := order(t, "myvenue", 10000702652, "CLOSED", 50000)
		mustOutcomes(t, s, []usher.Document{a, a, b}, usher.OutcomeStored, usher.OutcomeDuplicate, usher.OutcomeStored)
		versions(t, s, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamOrders, AllVersions: true}, 2)
	})

	t.Run("InstitutionsAreSeparate", func(t *testing.T) {
		s := fresh(t, open)
		a := contact(t, "venue-a", "1", "Ann", "2022-11-01T05:53:22.530+00:00")
		b := contact(t, "venue-b", "1", "Ann", "2022-11-01T05:53:22.530+00:00")
		mustOutcomes(t, s, []usher.Document{a, b}, usher.OutcomeStored, usher.OutcomeStored)
		if got := find(t, s, usher.DocumentFilter{Institution: "venue-a", Stream: usher.StreamContacts}); len(got) != 1 {
			t.Fatalf("venue-a has %d contacts, want 1", len(got))
		}
		if got := find(t, s, usher.DocumentFilter{Institution: "venue-c", Stream: usher.StreamContacts}); len(got) != 0 {
			t.Fatalf("venue-c has %d contacts, want 0", len(got))
		}
	})

	t.Run("TicketChecksAreImmutable", func(t *testing.T) {
		s := fresh(t, open)
		c1 := check(t, "myvenue", 10228845124401, "2023-02-09 18:25:10", "OK")
		c2 := check(t, "myvenue", 10228845124402, "2023-02-09 18:25:02", "FAIL")
		mustOutcomes(t, s, []usher.Document{c1, c2}, usher.OutcomeStored, usher.OutcomeStored)
		mustOutcomes(t, s, []usher.Document{c2, c1}, usher.OutcomeDuplicate, usher.OutcomeDuplicate)
		got := find(t, s, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamTicketChecks})
		if len(got) != 2 {
			t.Fatalf("checks = %d, want 2", len(got))
		}
		if got[0].ExternalID != "10228845124401" {
			t.Fatalf("newest check = %s, want 10228845124401 (ids must survive digit for digit)", got[0].ExternalID)
		}
		if h, _ := usher.HashJSON(got[0].Raw); h != c1.Hash {
			t.Fatalf("stored body hashes to %s, want %s", h, c1.Hash)
		}
	})

	t.Run("ConcurrentRetriesStoreOnce", func(t *testing.T) {
		s := fresh(t, open)
		var docs []usher.Document
		for i := range 20 {
			docs = append(docs, order(t, "myvenue", int64(1000+i%5), "CLOSED", int64(i)))
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.SaveDocuments(ctx, docs); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent save: %v", err)
		}
		all := find(t, s, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamOrders, AllVersions: true, Limit: 1000})
		if len(all) != 20 {
			t.Fatalf("stored %d versions, want 20", len(all))
		}
	})

	t.Run("Ping", func(t *testing.T) {
		t.Parallel()
		if err := open(t).Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func mustOutcomes(t *testing.T, s usher.Store, docs []usher.Document, want ...usher.Outcome) {
	t.Helper()
	got, err := s.SaveDocuments(context.Background(), docs)
	if err != nil {
		t.Fatalf("save: %v", err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("outcomes = %v, want %v", got, want)
	}
}

// versions fails t unless f finds n documents.
func versions(t *testing.T, s usher.Store, f usher.DocumentFilter, n int) {
	t.Helper()
	if got := find(t, s, f); len(got) != n {
		t.Fatalf("versions = %d, want %d", len(got), n)
	}
}

func find(t *testing.T, s usher.Store, f usher.DocumentFilter) []usher.Document {
	return must[[]usher.Document](t, "find")(s.FindDocuments(ctx, f))
}

func build(t *testing.T, inst string, stream usher.Stream, id string, v any, updated *time.Time) usher.Document {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	h, err := usher.HashJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	return usher.Document{Institution: inst, Stream: stream, ExternalID: id, Hash: h, Raw: raw, UpstreamUpdatedAt: updated}
}

func contact(t *testing.T, inst, number, first, updated string) usher.Document {
	t.Helper()
	u, err := time.Parse(time.RFC3339Nano, updated)
	if err != nil {
		t.Fatal(err)
	}
	return build(t, inst, usher.StreamContacts, number, map[string]any{
		"contactNumber": number, "individualFirstname": first, "role": "PUBLIC",
		"type": "INDIVIDUAL", "lastUpdateDate": updated,
	}, &u)
}

func order(t *testing.T, inst string, id int64, state string, amount int64) usher.Document {
	t.Helper()
	created := time.Date(2020, 10, 13, 10, 9, 27, 0, time.UTC)
	return build(t, inst, usher.StreamOrders, fmt.Sprint(id), map[string]any{
		"orderDetailsData": map[string]any{"orderId": id, "orderState": state, "saleAmount": amount,
			"creationDateTime": "2020-10-13T10:09:27.503+00:00"},
	}, &created)
}

func check(t *testing.T, inst string, id int64, at, result string) usher.Document {
	t.Helper()
	accessed, err := time.Parse("2006-01-02 15:04:05", at)
	if err != nil {
		t.Fatal(err)
	}
	raw := fmt.Sprintf(`{"ticket_check_id":%d,"movement_id":10228844462196,"ticket_id":10228844446468,"barcode":"072212349924430836880155","access_time":%q,"check_flow":"IN","result":%q,"failure_reason":"NO_FAIL"}`, id, at, result)
	h, err := usher.HashJSON([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return usher.Document{
		Institution: inst, Stream: usher.StreamTicketChecks, ExternalID: fmt.Sprint(id), Hash: h, Raw: json.RawMessage(raw),
		UpstreamUpdatedAt: &accessed,
		Check: &usher.TicketCheck{TicketCheckID: id, MovementID: 10228844462196, TicketID: 10228844446468,
			Barcode: "072212349924430836880155", AccessTime: accessed, CheckFlow: "IN", Result: result, FailureReason: "NO_FAIL"},
	}
}

// reorder returns raw with its keys in reverse order and extra spacing.
func reorder(t *testing.T, raw json.RawMessage) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	out := "{ "
	for i := len(keys) - 1; i >= 0; i-- {
		if i != len(keys)-1 {
			out += " ,\n "
		}
		out += fmt.Sprintf("%q : %s", keys[i], m[keys[i]])
	}
	return json.RawMessage(out + " }")
}

// fresh runs t in parallel with its siblings, on a new store of its own.
func fresh(t *testing.T, open OpenFunc) usher.Store {
	t.Helper()
	t.Parallel()
	return open(t)
}

// ctx is the context of every case: the suite has no deadline of its own
// beyond the test binary's.
var ctx = context.Background()

// must returns a call's value, failing t with what when the call failed.
func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}
