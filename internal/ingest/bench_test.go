package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/schema"
)

// The issue asks that validation cost a small fraction of a store round
// trip. These benchmarks measure both on the same 50-document payload (the
// most S-360 posts at once): compare ValidatePayload50 with SavePayload50.
//
//	go test ./internal/ingest -run '^$' -bench 'Payload50|ValidateDocument' -benchtime 2s

func ticketChecks(first, n int) []json.RawMessage {
	items := make([]json.RawMessage, n)
	for i := range items {
		items[i] = json.RawMessage(checkJSON(first+i, "IN", 10228844462196+i))
	}
	return items
}

func BenchmarkValidateDocument(b *testing.B) {
	r, err := schema.Load("", nil)
	if err != nil {
		b.Fatal(err)
	}
	docs := map[string][]byte{usher.DocS360TicketCheck: ticketChecks(1, 1)[0]}
	for name, typ := range map[string]string{"contacts": usher.DocS360Contact, "orders": usher.DocS360Order} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "s360", name+".json"))
		if err != nil {
			b.Fatal(err)
		}
		var items []json.RawMessage
		if err := json.Unmarshal(data, &items); err != nil {
			b.Fatal(err)
		}
		docs[typ] = items[0]
	}
	for _, typ := range []string{usher.DocS360TicketCheck, usher.DocS360Contact, usher.DocS360Order} {
		b.Run(typ, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if vs := r.Validate("myvenue", typ, docs[typ]); len(vs) != 0 {
					b.Fatal(vs)
				}
			}
		})
	}
}

// BenchmarkValidatePayload50 validates 50 ticket checks: what ingest adds
// to a payload before it reaches the store.
func BenchmarkValidatePayload50(b *testing.B) {
	r, err := schema.Load("", nil)
	if err != nil {
		b.Fatal(err)
	}
	items := ticketChecks(1, 50)
	b.ReportAllocs()
	for b.Loop() {
		for _, raw := range items {
			if vs := r.Validate("myvenue", usher.DocS360TicketCheck, raw); len(vs) != 0 {
				b.Fatal(vs)
			}
		}
	}
}

// BenchmarkSavePayload50 is one store round trip: SaveDocuments of 50 new
// ticket checks, committed durably, on each engine.
func BenchmarkSavePayload50(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			st := setup(b, engine, "").store
			next := 1
			b.ReportAllocs()
			for b.Loop() {
				docs := make([]usher.Document, 0, 50)
				for _, raw := range ticketChecks(next, 50) {
					d, err := Describe("myvenue", usher.StreamTicketChecks, raw)
					if err != nil {
						b.Fatal(err)
					}
					docs = append(docs, d)
				}
				next += 50
				if _, err := st.SaveDocuments(context.Background(), docs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIngestPayload50 is the whole service path for comparison:
// split, validate, describe and save 50 new ticket checks.
func BenchmarkIngestPayload50(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			svc := setup(b, engine, "").svc
			next := 1
			for b.Loop() {
				body, _ := json.Marshal(ticketChecks(next, 50))
				next += 50
				r, err := svc.Ingest(context.Background(), quarantinePolicy, usher.StreamTicketChecks, body)
				if err != nil || r.Stored != 50 {
					b.Fatal(fmt.Sprint(r, err))
				}
			}
		})
	}
}
