package load_test

import (
	"context"
	"testing"
	"time"

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
