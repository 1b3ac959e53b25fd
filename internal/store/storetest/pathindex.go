package storetest

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// RunPathIndexes checks the indexes on configured document paths
// (documents.indexed_paths): a listing through one answers as the bounded
// scan does, values of every JSON type and cursors included, and an index
// no longer configured is dropped.
func RunPathIndexes(t *testing.T, open OpenFunc) {
	// Bodies whose $.v (and $.a[0]) is of each type: equal numbers
	// written three ways, their text, true, false, null and nothing.
	raws := []string{
		`{"v": 100}`, `{"v": 1e2}`, `{"v": 100.0}`, `{"v": "100"}`, `{"v": 1}`, `{"v": "1"}`,
		`{"v": true}`, `{"v": false}`, `{"v": null}`, `{}`, `{"v": "PAID"}`, `{"v": {"x": 1}}`,
		`{"v": [100]}`, `{"a": [100, "x"]}`, `{"a": ["100"]}`, `{"a": [true]}`, `{"a": [null]}`, `{"v": 0}`,
	}
	filters := []usher.BrowseFilter{
		{Path: "$.v", Equals: "100"}, {Path: "$.v", Equals: "1e2"}, {Path: "$.v", Equals: `"100"`},
		{Path: "$.v", Equals: "1"}, {Path: "$.v", Equals: `"1"`}, {Path: "$.v", Equals: "true"},
		{Path: "$.v", Equals: "false"}, {Path: "$.v", Equals: "0"}, {Path: "$.v", Equals: "null"},
		{Path: "$.v", Equals: "PAID"}, {Path: "$.v", Equals: ""}, {Path: "$.a[0]", Equals: "100"},
		{Path: "$.a[0]", Equals: `"100"`}, {Path: "$.a[0]", Equals: "true"}, {Path: "$.a[0]", Equals: "null"},
		{Path: "$.a[1]", Equals: "x"},
	}
	indexed := []usher.IndexedPath{{Stream: usher.StreamOrders, Path: "$.v"}, {Stream: usher.StreamOrders, Path: "$.a[0]"},
		{Stream: usher.StreamOrders, Path: "$.a[1]"}}
	seed := func(t *testing.T) (usher.Store, usher.DocumentBrowser, usher.PathIndexer) {
		s := open(t)
		var docs []usher.Document
		for i, raw := range raws {
			for _, inst := range []string{"myvenue", "othervenue"} {
				h, err := usher.HashJSON([]byte(raw))
				if err != nil {
					t.Fatal(err)
				}
				docs = append(docs, usher.Document{Institution: inst, Stream: usher.StreamOrders, ExternalID: fmt.Sprint(i), Hash: h, Raw: []byte(raw)})
			}
			// The same body in contacts, which no index covers.
			docs = append(docs, usher.Document{Institution: "myvenue", Stream: usher.StreamContacts, ExternalID: fmt.Sprint(i), Hash: docs[len(docs)-1].Hash, Raw: []byte(raw)})
		}
		for _, d := range docs {
			mustOutcomes(t, s, []usher.Document{d}, usher.OutcomeStored)
		}
		b, ok1 := s.(usher.DocumentBrowser)
		x, ok2 := s.(usher.PathIndexer)
		if !ok1 || !ok2 {
			t.Fatalf("%T is not a usher.DocumentBrowser and a usher.PathIndexer", s)
		}
		return s, b, x
	}
	// pages lists f a page of limit at a time, following the cursors.
	pages := func(t *testing.T, b usher.DocumentBrowser, f usher.BrowseFilter, limit int) []string {
		t.Helper()
		f.Limit = limit
		if f.Institution == "" {
			f.Institution, f.Stream = "myvenue", usher.StreamOrders
		}
		var out []string
		for range 50 {
			p, err := b.ListDocuments(ctx, f)
			if err != nil {
				t.Fatalf("list %+v: %v", f, err)
			}
			for _, d := range p.Documents {
				out = append(out, d.ExternalID)
			}
			if p.NextCursor == "" {
				return out
			}
			f.Cursor = p.NextCursor
		}
		t.Fatalf("list %+v: more than 50 pages", f)
		return nil
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	t.Run("SameAnswersAsTheScan", func(t *testing.T) {
		_, b, x := seed(t)
		want := map[string][]string{}
		for _, f := range filters {
			want[fmt.Sprint(f)] = pages(t, b, f, 100)
		}
		if err := x.IndexPaths(ctx, indexed, quiet); err != nil {
			t.Fatal(err)
		}
		for _, f := range filters {
			w := want[fmt.Sprint(f)]
			if got := pages(t, b, f, 100); !slices.Equal(got, w) {
				t.Errorf("%s = %s: indexed %v, scanned %v", f.Path, f.Equals, got, w)
			}
			if got := pages(t, b, f, 1); !slices.Equal(got, w) {
				t.Errorf("%s = %s, a page of 1 at a time: indexed %v, scanned %v", f.Path, f.Equals, got, w)
			}
			other := f
			other.Institution, other.Stream = "myvenue", usher.StreamContacts
			if got := pages(t, b, other, 100); !slices.Equal(got, w) {
				t.Errorf("%s = %s in contacts (no index): %v, want %v", f.Path, f.Equals, got, w)
			}
		}
		// The expected answers, for the record of what equality means.
		for f, ids := range map[usher.BrowseFilter]string{
			{Path: "$.v", Equals: "100"}: "[2 1 0]", {Path: "$.v", Equals: `"100"`}: "[3]", {Path: "$.v", Equals: "1"}: "[4]",
			{Path: "$.v", Equals: "true"}: "[6]", {Path: "$.v", Equals: "null"}: "[8]", {Path: "$.a[0]", Equals: "100"}: "[13]",
		} {
			if got := fmt.Sprint(pages(t, b, f, 100)); got != ids {
				t.Errorf("%s = %s: %s, want %s", f.Path, f.Equals, got, ids)
			}
		}
	})

	t.Run("UnconfiguredIndexIsDropped", func(t *testing.T) {
		s, b, x := seed(t)
		d, ok := s.(interface{ Driver() driver.Driver })
		if !ok {
			t.Fatalf("%T has no Driver", s)
		}
		names := func() []string {
			have, err := d.Driver().PathIndexes(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, h := range have {
				if !h.Valid {
					t.Errorf("index %s is invalid", h.Name)
				}
				out = append(out, h.Name)
			}
			return out
		}
		if err := x.IndexPaths(ctx, indexed, quiet); err != nil {
			t.Fatal(err)
		}
		if got := names(); len(got) != 3 {
			t.Fatalf("indexes %v, want 3", got)
		}
		if err := x.IndexPaths(ctx, indexed[:1], quiet); err != nil {
			t.Fatal(err)
		}
		if got := names(); len(got) != 1 {
			t.Fatalf("indexes %v, want 1 once two paths are no longer configured", got)
		}
		// The dropped path's filter goes back to the scan, same answer.
		if got := fmt.Sprint(pages(t, b, usher.BrowseFilter{Path: "$.a[0]", Equals: "100"}, 1)); got != "[13]" {
			t.Errorf("$.a[0] = 100 once unindexed: %s, want [13]", got)
		}
		if err := x.IndexPaths(ctx, nil, quiet); err != nil {
			t.Fatal(err)
		}
		if got := names(); len(got) != 0 {
			t.Fatalf("indexes %v, want none configured, none kept", got)
		}
	})

	t.Run("MalformedPathsAreInvalid", func(t *testing.T) {
		_, _, x := seed(t)
		for _, p := range []usher.IndexedPath{{Stream: usher.StreamOrders, Path: "$.a') OR 1=1 --"}, {Stream: usher.StreamOrders, Path: "$"},
			{Stream: "orders'", Path: "$.a"}, {Stream: usher.StreamTicketChecks, Path: "$.a"}} {
			if err := x.IndexPaths(ctx, []usher.IndexedPath{p}, quiet); usher.ErrorCode(err) != usher.EINVALID {
				t.Errorf("%+v: %v, want invalid", p, err)
			}
		}
	})
}
