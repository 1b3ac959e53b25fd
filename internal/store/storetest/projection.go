package storetest

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/usher-hub/usher"
	fx "github.com/usher-hub/usher/internal/analytics/analyticstest"
)

// RunAnalyticsProjection checks the analytics queue: storing a document
// only queues it, the projector applies the queue in batches of any size,
// concurrently with ingest and with other projectors, and whatever the
// interleaving the reports end where a rebuild puts them.
func RunAnalyticsProjection(t *testing.T, open OpenFunc) {
	onStore(t, open, "ReportsWaitForTheProjector", func(t *testing.T, s usher.Store) {
		if _, err := s.SaveDocuments(context.Background(), fx.Checks(t, fx.Institution)); err != nil {
			t.Fatal(err)
		}
		if got := attendance(t, s, month(usher.ByAll)); len(got) != 0 {
			t.Fatalf("attendance before projecting = %+v, want none: storing only queues", got)
		}
		p, err := s.ProjectAnalytics(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if p.Checks != 12 || p.Pending != 0 || p.OldestPending != nil {
			t.Fatalf("projection = %+v, want the 12 checks applied and nothing left", p)
		}
		checkAttendance(t, s)
		if p, err = s.ProjectAnalytics(context.Background(), 10); err != nil || p != (usher.Projection{}) {
			t.Fatalf("second projection = %+v, %v; want nothing to do", p, err)
		}
	})

	onStore(t, open, "OneOrderAtATime", func(t *testing.T, s usher.Store) {
		store := func(docs []usher.Document) {
			if _, err := s.SaveDocuments(context.Background(), docs); err != nil {
				t.Fatal(err)
			}
		}
		store(fx.Checks(t, fx.Institution))
		store(fx.Orders(t, fx.Institution))
		p, err := s.ProjectAnalytics(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if p.Checks != 12 || p.Orders != 1 || p.Pending != 5 || p.OldestPending == nil {
			t.Fatalf("projection = %+v, want 12 checks, 1 order and 5 order versions left", p)
		}
		// More checks and new versions arrive between the batches.
		store(fx.All(t, "othervenue"))
		store(fx.Contacts(t, fx.Institution))
		orderVersionsUnprojected(t, s)
		project(t, s, 1)
		sameAsRebuild(t, s, "projected one order at a time")
	})

	onStore(t, open, "OneBatchMatchesRebuild", func(t *testing.T, s usher.Store) {
		// Versions of one order, a movement claimed by two orders and
		// values of the wrong type, all in one batch: the later claim wins
		// and odd values read as in a rebuild.
		thief := fx.Order(t, fx.Institution, 10000000099, "CLOSED", "SALE", "2023-02-11T10:00:00.000+01:00",
			fx.Operation{Product: "Egypt", Event: "Egypt 11.02.2023", Quantity: 1, UnitPrice: 5000,
				Movements: []fx.Movement{{ID: 202, Type: "SALE", Amount: 5000, Audience: "STUDENT", Category: "INVITED"}}})
		for _, docs := range [][]usher.Document{fx.Checks(t, fx.Institution), fx.Orders(t, fx.Institution), {thief}, oddDocuments(t)} {
			if _, err := s.SaveDocuments(context.Background(), docs); err != nil {
				t.Fatal(err)
			}
		}
		orderVersionsUnprojected(t, s)
		project(t, s, 1000)
		sameAsRebuild(t, s, "projected in one batch")
	})

	onStore(t, open, "ConcurrentIngestAndProjectors", concurrentProjection)

	onStore(t, open, "RebuildEmptiesTheQueue", func(t *testing.T, s usher.Store) {
		if _, err := s.SaveDocuments(context.Background(), fx.All(t, fx.Institution)); err != nil {
			t.Fatal(err)
		}
		rebuild(t, s, fx.Institution)
		p, err := s.ProjectAnalytics(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if p != (usher.Projection{}) {
			t.Fatalf("projection after a rebuild = %+v, want nothing left: the rebuild counted it", p)
		}
		checkFixtureReports(t, s)
	})
}

// sameAsRebuild fails t unless the reports of s (projected as how says)
// stay the same through a rebuild of the fixture venue.
func sameAsRebuild(t *testing.T, s usher.Store, how string) {
	t.Helper()
	projected := snapshot(t, s)
	rebuild(t, s, fx.Institution)
	if rebuilt := snapshot(t, s); rebuilt != projected {
		t.Errorf("reports %s differ from a rebuild:\n--- projected\n%s\n--- rebuild\n%s", how, projected, rebuilt)
	}
}

// orderVersionsUnprojected stores a newer and a stale version of the
// fixture's first order without projecting them.
func orderVersionsUnprojected(t *testing.T, s usher.Store) {
	t.Helper()
	first := fx.Orders(t, fx.Institution)[0]
	newer, stale := first, first
	newer.Raw = []byte(string(first.Raw[:len(first.Raw)-1]) + `,"note":"amended"}`)
	newer.Hash = first.Hash + "-amended"
	later := first.UpstreamUpdatedAt.Add(1)
	newer.UpstreamUpdatedAt = &later
	stale.Raw = []byte(string(first.Raw[:len(first.Raw)-1]) + `,"note":"stale"}`)
	stale.Hash = first.Hash + "-stale"
	earlier := first.UpstreamUpdatedAt.Add(-1)
	stale.UpstreamUpdatedAt = &earlier
	if _, err := s.SaveDocuments(context.Background(), []usher.Document{newer, stale}); err != nil {
		t.Fatal(err)
	}
}

// concurrentProjection stores the fixture's orders and checks in small
// shuffled payloads from four senders while three projectors run with a
// batch of two orders: no check or order may be counted twice or lost.
func concurrentProjection(t *testing.T, s usher.Store) {
	ctx := context.Background()
	save(t, s, fx.Contacts(t, fx.Institution))
	docs := append(fx.Orders(t, fx.Institution), fx.Checks(t, fx.Institution)...)
	docs = append(docs, docs[:5]...) // retried payloads
	rand.Shuffle(len(docs), func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })

	payloads := make(chan []usher.Document)
	go func() {
		defer close(payloads)
		for len(docs) > 0 {
			n := min(1+rand.IntN(3), len(docs))
			payloads <- docs[:n]
			docs = docs[n:]
		}
	}()
	var senders, projectors sync.WaitGroup
	errs := make(chan error, 16)
	for range 4 {
		senders.Go(func() {
			for p := range payloads {
				if _, err := s.SaveDocuments(ctx, p); err != nil {
					errs <- err
				}
			}
		})
	}
	done := make(chan struct{})
	for range 3 {
		projectors.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := s.ProjectAnalytics(ctx, 2); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	senders.Wait()
	close(done)
	projectors.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	project(t, s, 2)
	checkFixtureReports(t, s)
	checkContacts(t, s)
	projected := snapshot(t, s)
	rebuild(t, s, fx.Institution)
	if rebuilt := snapshot(t, s); rebuilt != projected {
		t.Errorf("reports projected during ingest differ from a rebuild:\n--- projected\n%s\n--- rebuild\n%s", projected, rebuilt)
	}
}
