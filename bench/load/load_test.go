package load_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/bench/load"
	"github.com/usher-hub/usher/internal/testdb"
)

// The generator must make documents usher accepts, each with an id of its
// own, or every figure measured with it would count duplicates.
func TestGeneratorMakesDistinctAcceptedDocuments(t *testing.T) {
	payloads := append(load.NewGenerator(1).Payloads(30, 50), load.NewGenerator(2).Payloads(30, 50)...)
	docs, err := load.Documents(load.Institution.Code, payloads)
	if err != nil {
		t.Fatalf("usher refuses a generated document: %v", err)
	}
	if len(docs) != 60*50 {
		t.Fatalf("%d documents, want %d", len(docs), 60*50)
	}
	seen := map[string]bool{}
	streams := map[usher.Stream]int{}
	for _, d := range docs {
		key := string(d.Stream) + "/" + d.ExternalID
		if seen[key] {
			t.Fatalf("%s generated twice", key)
		}
		seen[key] = true
		streams[d.Stream]++
		if d.UpstreamUpdatedAt == nil {
			t.Fatalf("%s has no upstream time: its shape is not S-360's", key)
		}
	}
	if streams[usher.StreamTicketChecks] != 4*streams[usher.StreamOrders] || streams[usher.StreamContacts] != streams[usher.StreamOrders] {
		t.Fatalf("stream mix %v, want four check payloads for one of each other stream", streams)
	}
}

func TestGeneratorIsDeterministic(t *testing.T) {
	a, b := load.NewGenerator(5).Payloads(6, 3), load.NewGenerator(5).Payloads(6, 3)
	for i := range a {
		if !slices.Equal(a[i].Body, b[i].Body) {
			t.Fatalf("payload %d differs between two generators of the same seed", i)
		}
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {1, time.Millisecond}} {
		if got := load.Percentile(ds, tt.p); got != tt.want {
			t.Errorf("p%v = %v, want %v", tt.p, got, tt.want)
		}
	}
	if load.Percentile(nil, 99) != 0 {
		t.Error("percentile of no samples is not 0")
	}
}

// The kit's whole path on each engine, small: a server that stores what it
// acknowledges, a raw limit and a preload that write the rows usher would.
func TestKitOnBothEngines(t *testing.T) {
	ctx := context.Background()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			gen := load.NewGenerator(3)
			srv, err := load.StartServer(ctx, testdb.DSN(t, engine))
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			res, err := load.Send(ctx, srv.Target(), 3, gen.Payloads(12, 10))
			if err != nil {
				t.Fatal(err)
			}
			if res.Payloads != 12 || res.Docs != 120 || len(res.Latencies) != 12 {
				t.Fatalf("result %+v, want 12 payloads of 10 documents timed", res)
			}
			if n, err := load.CountRows(ctx, srv.Store); err != nil || n != 120 {
				t.Fatalf("%d rows stored (%v), want 120", n, err)
			}

			docs, err := load.Documents(load.Institution.Code, gen.Payloads(6, 10))
			if err != nil {
				t.Fatal(err)
			}
			if cost, err := load.RawLimit(ctx, testdb.DSN(t, engine), docs); err != nil || cost.Wall <= 0 {
				t.Fatalf("raw limit: %+v %v", cost, err)
			}
			preloaded := testdb.DSN(t, engine)
			if err := load.Preload(ctx, preloaded, gen, 600, 50); err != nil {
				t.Fatal(err)
			}
			srv2, err := load.StartServer(ctx, preloaded)
			if err != nil {
				t.Fatal(err)
			}
			defer srv2.Close()
			if n, err := load.CountRows(ctx, srv2.Store); err != nil || n != 600 {
				t.Fatalf("%d rows preloaded (%v), want 600", n, err)
			}
			// Preloaded history has heads: a changed contact is a new version.
			head, err := srv2.Store.FindDocuments(ctx, usher.DocumentFilter{Institution: load.Institution.Code, Stream: usher.StreamContacts, Limit: 1})
			if err != nil || len(head) != 1 {
				t.Fatalf("preloaded contacts have no current version: %v %v", head, err)
			}
		})
	}
}
