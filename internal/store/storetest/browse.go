package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/usher-hub/usher"
)

// RunBrowse checks the document browser: listings with every filter and
// their cursors, a document's versions, a version's body, and the errors
// of malformed filters.
func RunBrowse(t *testing.T, open OpenFunc) {
	browser := func(t *testing.T, s usher.Store) usher.DocumentBrowser {
		t.Helper()
		b, ok := s.(usher.DocumentBrowser)
		if !ok {
			t.Fatalf("%T is not a usher.DocumentBrowser", s)
		}
		return b
	}
	// seed stores three versions of order 1 (OPEN, PAID, CANCELLED) in
	// three payloads, one version of order 2 (PAID), and order 3 of
	// another institution.
	seed := func(t *testing.T) (usher.Store, usher.DocumentBrowser, []usher.Document) {
		s := open(t)
		v := []usher.Document{
			browseOrder(t, "myvenue", 1, "OPEN", 100, 1),
			browseOrder(t, "myvenue", 1, "PAID", 100, 2),
			browseOrder(t, "myvenue", 1, "CANCELLED", 250, 3),
			browseOrder(t, "myvenue", 2, "PAID", 75, 1),
			browseOrder(t, "othervenue", 3, "PAID", 100, 1),
		}
		mustOutcomes(t, s, v[:1], usher.OutcomeStored)
		mustOutcomes(t, s, v[1:2], usher.OutcomeStored)
		mustOutcomes(t, s, v[2:], usher.OutcomeStored, usher.OutcomeStored, usher.OutcomeStored)
		return s, browser(t, s), v
	}
	list := func(t *testing.T, b usher.DocumentBrowser, f usher.BrowseFilter) usher.DocumentPage {
		t.Helper()
		if f.Institution == "" {
			f.Institution, f.Stream = "myvenue", usher.StreamOrders
		}
		p, err := b.ListDocuments(ctx, f)
		if err != nil {
			t.Fatalf("list %+v: %v", f, err)
		}
		return p
	}
	ids := func(p usher.DocumentPage) string {
		var out []string
		for _, d := range p.Documents {
			out = append(out, fmt.Sprintf("%s/%d", d.ExternalID, d.Version))
		}
		return fmt.Sprint(out)
	}

	t.Run("VersionsNewestFirst", func(t *testing.T) {
		_, b, v := seed(t)
		got, err := b.DocumentVersions(ctx, "myvenue", usher.StreamOrders, "1")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("versions = %+v, want 3", got)
		}
		for i, d := range got {
			want := v[2-i]
			if d.Version != 3-i || d.Hash != want.Hash || d.Current != (i == 0) || d.Size <= 0 || d.ReceivedAt.IsZero() ||
				d.ExternalID != "1" || d.Institution != "myvenue" || d.Stream != usher.StreamOrders {
				t.Errorf("version %d = %+v, want version %d, hash %s, current %v", i, d, 3-i, want.Hash, i == 0)
			}
		}
		if got[0].ReceivedAt.Before(got[2].ReceivedAt) {
			t.Errorf("newest version received %s before the first, %s", got[0].ReceivedAt, got[2].ReceivedAt)
		}
		for _, c := range []struct {
			inst, id string
		}{{"myvenue", "404"}, {"othervenue", "1"}} {
			if _, err := b.DocumentVersions(ctx, c.inst, usher.StreamOrders, c.id); usher.ErrorCode(err) != usher.ENOTFOUND {
				t.Errorf("versions of %s in %s: %v, want not_found", c.id, c.inst, err)
			}
		}
	})

	t.Run("BodyIsTheVersionStored", func(t *testing.T) {
		_, b, v := seed(t)
		for i := 1; i <= 3; i++ {
			body, err := b.DocumentBody(ctx, "myvenue", usher.StreamOrders, "1", i)
			if err != nil {
				t.Fatal(err)
			}
			h, err := usher.HashJSON(body)
			if err != nil || h != v[i-1].Hash {
				t.Errorf("version %d: body %s hashes to %s (%v), want %s", i, body, h, err, v[i-1].Hash)
			}
		}
		for _, c := range []struct {
			inst, id string
			version  int
			code     string
		}{{"myvenue", "1", 4, usher.ENOTFOUND}, {"othervenue", "1", 1, usher.ENOTFOUND}, {"myvenue", "1", 0, usher.EINVALID}} {
			if _, err := b.DocumentBody(ctx, c.inst, usher.StreamOrders, c.id, c.version); usher.ErrorCode(err) != c.code {
				t.Errorf("body of %s v%d in %s: %v, want %s", c.id, c.version, c.inst, err, c.code)
			}
		}
	})

	t.Run("ListFilters", func(t *testing.T) {
		_, b, _ := seed(t)
		all := list(t, b, usher.BrowseFilter{})
		if got := ids(all); got != "[2/1 1/3 1/2 1/1]" {
			t.Fatalf("all = %s, want every version of myvenue's orders, newest first", got)
		}
		if all.NextCursor != "" {
			t.Errorf("one page has a next cursor %q", all.NextCursor)
		}
		for _, c := range []struct {
			name string
			f    usher.BrowseFilter
			want string
		}{
			{"external id", usher.BrowseFilter{ExternalID: "1"}, "[1/3 1/2 1/1]"},
			{"string", usher.BrowseFilter{Path: "$.orderDetailsData.orderState", Equals: "PAID"}, "[2/1 1/2]"},
			{"quoted string", usher.BrowseFilter{Path: "$.orderDetailsData.orderState", Equals: `"PAID"`}, "[2/1 1/2]"},
			{"string and id", usher.BrowseFilter{ExternalID: "1", Path: "$.orderDetailsData.orderState", Equals: "PAID"}, "[1/2]"},
			{"number", usher.BrowseFilter{Path: "$.orderDetailsData.saleAmount", Equals: "100"}, "[1/2 1/1]"},
			{"number written otherwise", usher.BrowseFilter{Path: "$.orderDetailsData.saleAmount", Equals: "1.0e2"}, "[1/2 1/1]"},
			{"a number is not its text", usher.BrowseFilter{Path: "$.orderDetailsData.saleAmount", Equals: `"100"`}, "[]"},
			{"array element", usher.BrowseFilter{Path: "$.orderDetailsData.items[1].sku", Equals: "B-3"}, "[1/3]"},
			{"true", usher.BrowseFilter{Path: "$.paid", Equals: "true"}, "[2/1 1/2]"},
			{"false is not null", usher.BrowseFilter{Path: "$.paid", Equals: "null"}, "[]"},
			{"null", usher.BrowseFilter{Path: "$.note", Equals: "null"}, "[2/1 1/3 1/2 1/1]"},
			{"empty string", usher.BrowseFilter{Path: "$.orderDetailsData.orderState", Equals: ""}, "[]"},
			{"missing path", usher.BrowseFilter{Path: "$.nothing.here", Equals: "x"}, "[]"},
			{"other stream", usher.BrowseFilter{Institution: "myvenue", Stream: usher.StreamContacts}, "[]"},
			{"other institution", usher.BrowseFilter{Institution: "othervenue", Stream: usher.StreamOrders}, "[3/1]"},
		} {
			if got := ids(list(t, b, c.f)); got != c.want {
				t.Errorf("%s: %s, want %s", c.name, got, c.want)
			}
		}
		// Received-time ranges, from the times stored: from is inclusive,
		// to exclusive.
		oldest := all.Documents[len(all.Documents)-1].ReceivedAt
		newest := all.Documents[0].ReceivedAt
		var fromNewest, beforeNewest []string
		for _, d := range all.Documents {
			key := fmt.Sprintf("%s/%d", d.ExternalID, d.Version)
			if !d.ReceivedAt.Before(newest) {
				fromNewest = append(fromNewest, key)
			} else {
				beforeNewest = append(beforeNewest, key)
			}
		}
		if got := ids(list(t, b, usher.BrowseFilter{From: newest})); got != fmt.Sprint(fromNewest) {
			t.Errorf("from %s: %s, want %v", newest, got, fromNewest)
		}
		if got := ids(list(t, b, usher.BrowseFilter{From: oldest, To: newest})); got != fmt.Sprint(beforeNewest) {
			t.Errorf("from %s to %s: %s, want %v", oldest, newest, got, beforeNewest)
		}
		if got := ids(list(t, b, usher.BrowseFilter{To: oldest})); got != "[]" {
			t.Errorf("to the oldest: %s, want nothing", got)
		}
	})

	t.Run("CursorPagesThroughEverything", func(t *testing.T) {
		s, b, _ := seed(t)
		var docs []usher.Document
		for i := range 7 {
			docs = append(docs, browseOrder(t, "myvenue", int64(10+i), "PAID", 5, 1))
		}
		want := make([]usher.Outcome, len(docs))
		for i := range want {
			want[i] = usher.OutcomeStored
		}
		mustOutcomes(t, s, docs, want...)
		all := ids(list(t, b, usher.BrowseFilter{Limit: 100}))
		for _, f := range []usher.BrowseFilter{{Limit: 3}, {Limit: 1, Path: "$.orderDetailsData.saleAmount", Equals: "5"}} {
			var seen []string
			f.Cursor = ""
			for range 20 {
				p := list(t, b, f)
				if len(p.Documents) > f.Limit {
					t.Fatalf("page of %d, limit %d", len(p.Documents), f.Limit)
				}
				for _, d := range p.Documents {
					seen = append(seen, fmt.Sprintf("%s/%d", d.ExternalID, d.Version))
				}
				if p.NextCursor == "" {
					break
				}
				f.Cursor = p.NextCursor
			}
			if f.Path == "" && fmt.Sprint(seen) != all {
				t.Errorf("pages of %d: %v, want %s", f.Limit, seen, all)
			}
			slices.Sort(seen)
			if f.Path != "" && (len(seen) != 7 || len(slices.Compact(seen)) != 7) {
				t.Errorf("filtered pages of %d: %v, want the 7 orders of 5", f.Limit, seen)
			}
		}
		if p := list(t, b, usher.BrowseFilter{Limit: 100000}); len(p.Documents) != 11 {
			t.Errorf("a limit above the maximum lists %d, want all 11", len(p.Documents))
		}
	})

	t.Run("Quarantined", func(t *testing.T) {
		s, b, _ := seed(t)
		raw := []byte(`{"orderDetailsData":{"orderId":"not a number"}}`)
		h, err := usher.HashJSON(raw)
		if err != nil {
			t.Fatal(err)
		}
		bad := usher.QuarantinedDocument{Institution: "myvenue", Stream: usher.StreamOrders, DocType: "order", ExternalID: "77",
			Hash: h, Raw: raw, SchemaVersion: "test", Violations: []usher.Violation{{Path: "$.orderDetailsData.orderId", Message: "not an integer"}}}
		if _, err := s.SaveDocumentsAndQuarantine(ctx, nil, []usher.QuarantinedDocument{bad}); err != nil {
			t.Fatal(err)
		}
		p := list(t, b, usher.BrowseFilter{Valid: usher.ValidQuarantined})
		if len(p.Documents) != 1 {
			t.Fatalf("quarantined = %+v, want one", p.Documents)
		}
		d := p.Documents[0]
		if d.ExternalID != "77" || d.QuarantineID == 0 || d.Version != 0 || d.Hash != h || d.Size != int64(len(raw)) {
			t.Errorf("quarantined = %+v, want 77 with a quarantine id, hash %s, size %d", d, h, len(raw))
		}
		if p := list(t, b, usher.BrowseFilter{Valid: usher.ValidQuarantined, ExternalID: "1"}); len(p.Documents) != 0 {
			t.Errorf("quarantined of id 1 = %+v, want none", p.Documents)
		}
		if _, err := b.ListDocuments(ctx, usher.BrowseFilter{Institution: "myvenue", Stream: usher.StreamOrders, Valid: usher.ValidQuarantined,
			Cursor: list(t, b, usher.BrowseFilter{Limit: 1}).NextCursor}); usher.ErrorCode(err) != usher.EINVALID {
			t.Errorf("a stored listing's cursor on the quarantine: %v, want invalid", err)
		}
	})

	t.Run("MalformedFiltersAreInvalid", func(t *testing.T) {
		_, b, _ := seed(t)
		now := time.Now()
		for _, f := range []usher.BrowseFilter{
			{Path: "$..a", Equals: "1"}, {Path: "$.a[01]", Equals: "1"}, {Path: "a.b", Equals: "1"}, {Path: "$.a b", Equals: "1"},
			{Path: "$['a']", Equals: "1"}, {Path: "$.a[-1]", Equals: "1"}, {Path: "$", Equals: "1"}, {Path: "$.1a", Equals: "1"},
			{Path: "$.a') OR 1=1 --", Equals: "1"}, {Path: "$.a", Equals: `{"b":1}`}, {Path: "$.a", Equals: "[1]"},
			{Equals: "PAID"}, {Cursor: "not-a-cursor"}, {Cursor: "cXwyMDI2LTAxLTAxVDAwOjAwOjAwWnwx"},
			{From: now, To: now}, {From: now, To: now.Add(-time.Hour)},
			{Valid: "maybe"}, {Valid: usher.ValidQuarantined, Path: "$.a", Equals: "1"}, {Limit: -1},
			{Institution: "myvenue", Stream: usher.StreamTicketChecks}, {Institution: "myvenue", Stream: "Orders;"},
		} {
			if _, err := b.ListDocuments(ctx, withDefaults(f)); usher.ErrorCode(err) != usher.EINVALID {
				t.Errorf("%+v: %v, want invalid", f, err)
			}
		}
	})
}

func withDefaults(f usher.BrowseFilter) usher.BrowseFilter {
	if f.Institution == "" {
		f.Institution, f.Stream = "myvenue", usher.StreamOrders
	}
	return f
}

// browseOrder is version n of an order with items, a flag and a null.
func browseOrder(t *testing.T, inst string, id int64, state string, amount int64, n int) usher.Document {
	t.Helper()
	created := time.Date(2020, 10, 13, 10, 9, 27, 0, time.UTC).Add(time.Duration(n) * time.Minute)
	items := []any{map[string]any{"sku": "A-1", "qty": 1}, map[string]any{"sku": fmt.Sprintf("B-%d", n), "qty": n}}
	d := build(t, inst, usher.StreamOrders, fmt.Sprint(id), map[string]any{
		"orderDetailsData": map[string]any{"orderId": id, "orderState": state, "saleAmount": amount, "items": items,
			"creationDateTime": created.Format(time.RFC3339Nano)},
		"paid": state == "PAID", "note": nil,
	}, &created)
	if !json.Valid(d.Raw) {
		t.Fatal("invalid order")
	}
	return d
}
