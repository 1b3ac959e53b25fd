package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/config"
	"github.com/usher-hub/usher/internal/sim/s360"
	"github.com/usher-hub/usher/internal/testdb"
)

// BenchmarkPush measures documents per second from the simulator into an
// in-process usher (HTTP, ingest, store) by bucket size bs, on each
// engine: what S-360's batching is worth. One op is one document.
//
//	go test ./cmd/usher -run '^$' -bench BenchmarkPush -benchtime 1000x
func BenchmarkPush(b *testing.B) {
	for _, engine := range testdb.Engines {
		for _, bs := range []int{1, 10, 50} {
			b.Run(fmt.Sprintf("%s/bs=%d", engine, bs), func(b *testing.B) { benchmarkPush(b, engine, bs) })
		}
	}
}

func benchmarkPush(b *testing.B, engine string, bs int) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.Database = testdb.DSN(b, engine)
	cfg.Institutions = []config.Institution{{Code: "bench", Auth: config.Auth{Mode: "none"}}}
	a, err := newApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.handler)
	defer srv.Close()
	events := benchEvents(b.N)
	sim, err := s360.New(s360.PushConfig{Institution: "bench", Target: srv.URL, BucketSize: bs,
		BatchSizes: map[usher.Stream]int{usher.StreamContacts: b.N, usher.StreamOrders: b.N, usher.StreamTicketChecks: b.N}},
		&onceFeed{events: events}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	sim.RunOnce(ctx)
	b.StopTimer()
	if sum := totals(sim.Stats()); sum.Accepted != len(events) {
		b.Fatalf("accepted %d of %d documents: %+v", sum.Accepted, len(events), sum)
	}
	b.ReportMetric(float64(len(events))/b.Elapsed().Seconds(), "docs/s")
}

// benchEvents returns the first n documents of a busy venue.
func benchEvents(n int) []s360.Event {
	v := s360.NewVenue(s360.VenueConfig{Seed: 1, Start: time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC), Scale: 3})
	var out []s360.Event
	for day := time.Date(2023, 1, 3, 0, 0, 0, 0, time.UTC); len(out) < n; day = day.AddDate(0, 0, 1) {
		out = append(out, v.Until(day)...)
	}
	return out[:n]
}

// onceFeed feeds a fixed list of events once.
type onceFeed struct{ events []s360.Event }

func (f *onceFeed) Next() ([]s360.Event, bool) {
	out := f.events
	f.events = nil
	return out, true
}

func totals(stats map[usher.Stream]s360.StreamStats) s360.StreamStats {
	var sum s360.StreamStats
	for _, s := range stats {
		sum.Queued += s.Queued
		sum.Accepted += s.Accepted
		sum.GivenUp += s.GivenUp
		sum.Pending += s.Pending
		sum.Posts += s.Posts
		sum.FailedPosts += s.FailedPosts
		sum.Duplicates += s.Duplicates
	}
	return sum
}
