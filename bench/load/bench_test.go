package load_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/bench/load"
	"github.com/usher-hub/usher/internal/ingest"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/testdb"
)

// The benchmarks below are the pieces of the push path, one payload of 50
// documents in the stream mix per operation; docs/s is reported so that
// figures compare with bench/ingest. `go run ./bench/ingest` measures the
// whole path against the raw limit.

// BenchmarkDescribe is the CPU work of reading a payload: splitting it and
// describing (parsing, hashing) each document.
func BenchmarkDescribe(b *testing.B) {
	payloads := load.NewGenerator(1).Payloads(60, 50)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p := payloads[i%len(payloads)]
		items, err := ingest.SplitPayload(p.Body)
		if err != nil {
			b.Fatal(err)
		}
		for _, raw := range items {
			if _, err := ingest.Describe(load.Institution.Code, p.Stream, raw); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportDocs(b, 50)
}

// BenchmarkSaveDocuments is one payload's transaction on each engine.
func BenchmarkSaveDocuments(b *testing.B) {
	for _, engine := range testdb.Engines {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			st, err := store.Open(ctx, testdb.DSN(b, engine), time.Now)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			gen := load.NewGenerator(2)
			for b.Loop() {
				b.StopTimer()
				docs, err := load.Documents(load.Institution.Code, gen.Payloads(1, 50))
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := st.SaveDocuments(ctx, docs); err != nil {
					b.Fatal(err)
				}
			}
			reportDocs(b, 50)
		})
	}
}

func reportDocs(b *testing.B, perOp int) {
	b.ReportMetric(float64(b.N*perOp)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkSaveContactsAndOrders is one payload's transaction of 50
// contacts or 50 orders, alternately: the documents PostgreSQL stores with
// versions and heads, unlike checks. "new" stores ids never seen, as a
// first synchronisation does; "versions" stores a new version of every
// document of a payload stored before, which looks up the highest version.
func BenchmarkSaveContactsAndOrders(b *testing.B) {
	streams := []usher.Stream{usher.StreamContacts, usher.StreamOrders}
	for _, engine := range testdb.Engines {
		b.Run(engine+"/new", func(b *testing.B) {
			st := openStore(b, engine)
			gen := load.NewGenerator(3)
			backend := load.BackendCPU(context.Background(), st)
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				docs := documents(b, gen.Payload(streams[i%2], 50))
				b.StartTimer()
				if _, err := st.SaveDocuments(context.Background(), docs); err != nil {
					b.Fatal(err)
				}
			}
			reportDocs(b, 50)
			reportBackend(b, st, backend)
		})
		b.Run(engine+"/versions", func(b *testing.B) {
			st := openStore(b, engine)
			gen := load.NewGenerator(4)
			known := [][]usher.Document{documents(b, gen.Payload(streams[0], 50)), documents(b, gen.Payload(streams[1], 50))}
			for _, docs := range known {
				if _, err := st.SaveDocuments(context.Background(), docs); err != nil {
					b.Fatal(err)
				}
			}
			backend := load.BackendCPU(context.Background(), st)
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				docs := revise(b, known[i%2], i)
				b.StartTimer()
				if _, err := st.SaveDocuments(context.Background(), docs); err != nil {
					b.Fatal(err)
				}
			}
			reportDocs(b, 50)
			reportBackend(b, st, backend)
		})
	}
}

// reportBackend reports the CPU time PostgreSQL's backends spent per
// operation since they had spent before, less noisy than wall time on a
// shared machine. SQLite's work is in the benchmark's own process.
func reportBackend(b *testing.B, st usher.Store, before time.Duration) {
	if spent := load.BackendCPU(context.Background(), st) - before; spent > 0 {
		b.ReportMetric(float64(spent.Microseconds())/float64(b.N)/1000, "backend-ms/op")
	}
}

func openStore(b *testing.B, engine string) usher.Store {
	st, err := store.Open(context.Background(), testdb.DSN(b, engine), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

func documents(b *testing.B, p load.Payload) []usher.Document {
	docs, err := load.Documents(load.Institution.Code, []load.Payload{p})
	if err != nil {
		b.Fatal(err)
	}
	return docs
}

// revise returns new content for each of docs, so that each is stored as
// a new version of its id.
func revise(b *testing.B, docs []usher.Document, rev int) []usher.Document {
	out := make([]usher.Document, len(docs))
	for i, d := range docs {
		var fields map[string]any
		if err := json.Unmarshal(d.Raw, &fields); err != nil {
			b.Fatal(err)
		}
		fields["benchRevision"] = rev
		raw, err := json.Marshal(fields)
		if err != nil {
			b.Fatal(err)
		}
		if out[i], err = ingest.Describe(d.Institution, d.Stream, raw); err != nil {
			b.Fatal(err)
		}
	}
	return out
}
