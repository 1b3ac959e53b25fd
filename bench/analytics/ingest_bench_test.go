package analytics

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	projections "github.com/usher-hub/usher/internal/analytics"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/store/postgres"
	"github.com/usher-hub/usher/internal/store/sqlite"
	"github.com/usher-hub/usher/internal/testdb"
)

// BenchmarkIngest prices the projections: it stores S-360-sized payloads
// (50 orders, then 50 checks of those orders), and with projections=true
// also applies them to the rollups as the projector does, on each engine.
// The difference is what the projector costs per document; ingest alone
// is what a push waits for.
func BenchmarkIngest(b *testing.B) {
	for _, engine := range testdb.Engines {
		for _, project := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/projections=%v", engine, project), func(b *testing.B) {
				st := openIngestStore(b, engine)
				size := Size{Checks: 10_000_000, Orders: 1_000_000, Days: 730}
				ctx := context.Background()
				batch := 0
				for b.Loop() {
					orders, checks := payloads(b, size, batch)
					batch++
					if _, err := st.SaveDocuments(ctx, orders); err != nil {
						b.Fatal(err)
					}
					if _, err := st.SaveDocuments(ctx, checks); err != nil {
						b.Fatal(err)
					}
					if project {
						if err := projections.CatchUp(ctx, st, 200, 10_000); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*100), "µs/document")
			})
		}
	}
}

func openIngestStore(b *testing.B, engine string) usher.Store {
	ctx := context.Background()
	if engine == "sqlite" {
		st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "usher.db"), time.Now)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return store.New(st, time.Now)
	}
	st, err := postgres.Open(ctx, testdb.Postgres(b), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return store.New(st, time.Now)
}

// payloads returns batch n: 50 new orders, and 50 checks of their
// movements, as ingest would describe them.
func payloads(b *testing.B, size Size, n int) (orders, checks []usher.Document) {
	for k := range 50 {
		o := orderAt(size, n*50+k)
		raw := o.json()
		created := o.created()
		orders = append(orders, usher.Document{Institution: Institution, Stream: usher.StreamOrders,
			ExternalID: fmt.Sprint(o.id), Hash: contentHash(raw), Raw: raw, UpstreamUpdatedAt: &created})
		c := checkAt(size, (n*50+k)*10)
		c.movementID = o.movements[0].id
		body := c.json()
		at := c.at
		checks = append(checks, usher.Document{Institution: Institution, Stream: usher.StreamTicketChecks,
			ExternalID: fmt.Sprint(c.id), Hash: contentHash(body), Raw: body, UpstreamUpdatedAt: &at,
			Check: &usher.TicketCheck{TicketCheckID: c.id, MovementID: c.movementID, TicketID: c.movementID*10 + 1,
				Barcode: fmt.Sprintf("%024d", c.movementID), AccessTime: c.at, CheckFlow: c.flow, Result: c.result, FailureReason: c.reason}})
	}
	return orders, checks
}
