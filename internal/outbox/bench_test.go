package outbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/testdb"
)

func openBench(b *testing.B, engine string) usher.Store {
	b.Helper()
	st, err := store.Open(context.Background(), testdb.DSN(b, engine), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// BenchmarkSaveWithDeliveries measures what enqueuing CRM deliveries in
// the ingest transaction costs: payloads of 50 new contacts, stored with
// no destination routed and with two (100 delivery jobs a payload).
func BenchmarkSaveWithDeliveries(b *testing.B) {
	for _, engine := range testdb.Engines {
		for _, dests := range []int{0, 2} {
			b.Run(fmt.Sprintf("%s/destinations=%d", engine, dests), func(b *testing.B) {
				st := openBench(b, engine)
				var routes []usher.DeliveryRoute
				for d := range dests {
					routes = append(routes, usher.DeliveryRoute{Institution: "v", Stream: usher.StreamContacts, Destination: fmt.Sprint("crm", d)})
				}
				st.RouteDeliveries(routes)
				n := 0
				for b.Loop() {
					docs := make([]usher.Document, 50)
					for i := range docs {
						n++
						raw := json.RawMessage(fmt.Sprintf(`{"contactNumber":"%d","email":"v%d@example.org"}`, n, n))
						h, _ := usher.HashJSON(raw)
						docs[i] = usher.Document{Institution: "v", Stream: usher.StreamContacts, ExternalID: fmt.Sprint(n), Hash: h, Raw: raw}
					}
					if _, err := st.SaveDocuments(context.Background(), docs); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "docs/s")
			})
		}
	}
}

// BenchmarkClaimAndFinish measures the queue itself: claim jobs in
// batches of 1 or 16 and finish each, the work of a runner with no-op
// handlers.
func BenchmarkClaimAndFinish(b *testing.B) {
	for _, engine := range testdb.Engines {
		for _, batch := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/claim=%d", engine, batch), func(b *testing.B) {
				st := openBench(b, engine)
				now := time.Now()
				var jobs []usher.NewJob
				for i := range 2000 {
					jobs = append(jobs, usher.NewJob{Institution: "v", Kind: "k", OrderKey: fmt.Sprint(i), IdempotencyKey: fmt.Sprint(i),
						Payload: json.RawMessage(`{}`), MaxAttempts: 3, RunAt: now})
				}
				if _, err := st.EnqueueJobs(context.Background(), jobs); err != nil {
					b.Fatal(err)
				}
				done := 0
				for b.Loop() {
					claimed, err := st.ClaimJobs(context.Background(), usher.ClaimRequest{Owner: "b", Limit: batch, Now: now, LeaseUntil: now.Add(time.Minute)})
					if err != nil {
						b.Fatal(err)
					}
					if len(claimed) == 0 {
						b.StopTimer()
						if _, err := st.RetryJobs(context.Background(), usher.JobFilter{}, now); err != nil {
							b.Fatal(err)
						}
						requeueDone(b, st, now)
						b.StartTimer()
						continue
					}
					for _, j := range claimed {
						if err := st.FinishJob(context.Background(), usher.JobFinish{ID: j.ID, LeaseToken: j.LeaseToken, State: usher.JobFailed, Now: now}); err != nil {
							b.Fatal(err)
						}
						done++
					}
				}
				b.ReportMetric(float64(done)/b.Elapsed().Seconds(), "jobs/s")
			})
		}
	}
}

// requeueDone puts the finished jobs back (they were marked failed so
// that RetryJobs can), so a long benchmark never runs dry.
func requeueDone(b *testing.B, st usher.Store, now time.Time) {
	b.Helper()
	if _, err := st.RetryJobs(context.Background(), usher.JobFilter{State: usher.JobFailed}, now); err != nil {
		b.Fatal(err)
	}
}
