package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/client"
	"github.com/usher-hub/usher/internal/sim/s360"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/testdb"
)

var venueZone = time.FixedZone("UTC+1", 3600)

// TestEndToEndFaultsAndRestart pushes a simulated venue through a faulty
// proxy into the real usher binary, kills usher in the middle of a run,
// pushes once more while it is down, restarts it on the same database and
// port, and checks that once the simulator's queues drain usher holds
// exactly the documents the venue generated: every version, each once.
func TestEndToEndFaultsAndRestart(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) { endToEndFaultsAndRestart(t, testdb.DSN(t, engine)) })
	}
}

func endToEndFaultsAndRestart(t *testing.T, dsn string) {
	ctx := context.Background()
	cfgPath := writeConfig(t)
	usherProc, addr := startUsher(t, cfgPath, dsn, "127.0.0.1:0")

	logs := newOutput()
	logger := slog.New(slog.NewTextHandler(logs, nil))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("simulator log (tail):\n%s", tail(logs.String(), 3000))
		}
	})
	proxy, err := s360.NewFaultProxy("http://"+addr, s360.Faults{ServerError: 0.1, Drop: 0.1, Slow: 0.03, SlowDelay: 3 * time.Second}, 11, logger)
	if err != nil {
		t.Fatal(err)
	}
	const killAt = 30 // from the proxy's 30th request on, the first forwarded finds usher gone
	var current atomic.Pointer[proc]
	current.Store(usherProc)
	var killed atomic.Bool
	proxy.BeforeForward = func(n int64) {
		// The proxy calls this only for the requests it forwards: the one
		// numbered killAt may have drawn a fault instead, so the first
		// forwarded from there on finds usher gone.
		if n >= killAt && killed.CompareAndSwap(false, true) {
			current.Load().Kill()
		}
	}
	proxySrv := httptest.NewServer(proxy)
	defer proxySrv.Close()

	start := time.Date(2023, 2, 6, 0, 0, 0, 0, venueZone)
	until, cutoff := start.AddDate(0, 0, 4).Add(15*time.Hour), start.AddDate(0, 0, 1)
	venueCfg := s360.VenueConfig{Seed: 42, Start: start, Scale: 0.4}
	feed := s360.Timeline{Venue: s360.NewVenue(venueCfg), Clock: func() time.Time { return until }, Until: until}
	sim, err := s360.New(s360.PushConfig{
		Institution: e2eInstitution, Target: proxySrv.URL,
		Auth:       usher.PushAuth{Mode: usher.AuthAPIKey, Header: "X-Venue-Key", Secret: pushKey},
		BatchSizes: map[usher.Stream]int{usher.StreamContacts: 20, usher.StreamOrders: 20, usher.StreamTicketChecks: 60},
		BucketSize: 5, Timeout: 2 * time.Second, Cutoff: cutoff,
		Faults: s360.Faults{Duplicate: 0.15, Reorder: 0.5}, Seed: 5,
	}, feed, nil, logger)
	if err != nil {
		t.Fatal(err)
	}

	runs := 0
	for !killed.Load() {
		if runs++; runs > 50 || sim.Drained() {
			t.Fatalf("usher was never killed: the proxy saw %d requests in %d runs", proxy.Counts().Requests, runs)
		}
		sim.RunOnce(ctx)
	}
	before := totals(sim.Stats())
	sim.RunOnce(ctx) // usher is down: every payload fails, none is lost
	down := totals(sim.Stats())
	if down.Accepted != before.Accepted || down.FailedPosts <= before.FailedPosts || down.GivenUp != 0 {
		t.Fatalf("a run while usher was down: before %+v, after %+v", before, down)
	}

	usherProc, _ = startUsher(t, cfgPath, dsn, addr)
	current.Store(usherProc)
	for !sim.Drained() {
		if runs++; runs > 200 {
			t.Fatalf("queues not drained after %d runs: %+v", runs, sim.Stats())
		}
		sim.RunOnce(ctx)
	}
	usherProc.StopClean(t)

	sum, counts := totals(sim.Stats()), proxy.Counts()
	t.Logf("%d runs, %d documents, %d posts (%d failed, %d duplicate payloads); proxy: %+v", runs, sum.Queued, sum.Posts, sum.FailedPosts, sum.Duplicates, counts)
	if sum.GivenUp != 0 || sum.Accepted != sum.Queued {
		t.Fatalf("simulator totals %+v: something was given up", sum)
	}
	if counts.ServerErrors == 0 || counts.Drops == 0 || sum.Duplicates == 0 {
		t.Fatalf("faults were not injected: proxy %+v, simulator %+v", counts, sum)
	}
	verifyStore(t, dsn, expect(t, s360.NewVenue(venueCfg).Until(until), cutoff))
}

// TestSimCommandAgainstServe runs `usher sim s360` as its own process
// against `usher serve`, with faults, until its queues drain; what usher
// then holds is what this test regenerates from the same seed, which
// also shows the venue is reproducible across processes.
func TestSimCommandAgainstServe(t *testing.T) {
	t.Parallel()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			dsn := testdb.DSN(t, engine)
			_, addr := startUsher(t, writeConfig(t), dsn, "127.0.0.1:0")
			sim := start(t, []string{"USHER_SIM_SECRET=" + pushKey}, "sim", "s360",
				"--institution", e2eInstitution, "--target", "http://"+addr,
				"--auth", "apikey", "--header", "X-Venue-Key",
				"--seed", "7", "--scale", "0.3", "--from", "2023-02-06",
				"--until", "2023-02-09T12:00:00+01:00", "--cutoff", "2023-02-07T00:00:00+01:00",
				"--interval", "20ms", "--contacts-per-run", "15", "--orders-per-run", "15", "--checks-per-run", "60", "--bucket", "5",
				"--faults", "5xx=0.1,drop=0.05,dup=0.2,reorder=1", "--exit-when-drained", "--log-level", "error")
			select {
			case <-sim.exited:
			case <-time.After(waitTimeout):
				t.Fatalf("usher sim s360 still running after %s:\n%s", waitTimeout, tail(sim.stdout.String(), 2000))
			}
			if sim.err != nil {
				t.Fatalf("usher sim s360: %v\n%s", sim.err, tail(sim.stdout.String(), 2000))
			}
			if !regexp.MustCompile(`run \d+: contacts \d+/\d+ accepted \(0 pending, 0 given up`).MatchString(sim.stdout.String()) {
				t.Fatalf("no drained report in the output:\n%s", tail(sim.stdout.String(), 2000))
			}
			until := time.Date(2023, 2, 9, 12, 0, 0, 0, venueZone)
			venue := s360.NewVenue(s360.VenueConfig{Seed: 7, Start: time.Date(2023, 2, 6, 0, 0, 0, 0, venueZone), Scale: 0.3})
			verifyStore(t, dsn, expect(t, venue.Until(until), time.Date(2023, 2, 7, 0, 0, 0, 0, venueZone)))
		})
	}
}

var storedMetric = regexp.MustCompile(`usher_documents_total\{institution="demo",outcome="stored",stream="(\w+)"\} (\d+)`)

// demoMetricsLine is the banner's example of reading /metrics: the demo
// protects it with a token of its own, as a venue should.
var demoMetricsLine = regexp.MustCompile(`curl -H 'Authorization: Bearer (\S+)' (http://127\.0\.0\.1:\d+/metrics)`)

// TestDemoShowsDataWithinAMinute starts `usher demo` as a new user would
// and reads usher's own metrics, as the banner says to, after the
// simulator's first run: every stream has stored documents, well within
// a minute.
func TestDemoShowsDataWithinAMinute(t *testing.T) {
	started := time.Now()
	demo := start(t, nil, "demo", "--listen", "127.0.0.1:0", "--crm-listen", "127.0.0.1:0",
		"--database", testdb.SQLite(t), "--days", "2", "--scale", "0.3", "--interval", "1h")
	metrics := demo.stdout.waitFor(t, demoMetricsLine, demo.exited)
	demo.stdout.waitFor(t, regexp.MustCompile(`run 1: `), demo.exited)
	body, err := client.New(strings.TrimSuffix(metrics[2], "/metrics"), "").Metrics(context.Background(), metrics[1])
	if err != nil {
		t.Fatalf("GET %s with the printed token: %v", metrics[2], err)
	}
	stored := map[string]int{}
	for _, m := range storedMetric.FindAllStringSubmatch(body, -1) {
		stored[m[1]], _ = strconv.Atoi(m[2])
	}
	for _, st := range usher.Streams {
		if stored[string(st)] == 0 {
			t.Fatalf("after the first run usher stored no %s: %v", st, stored)
		}
	}
	if elapsed := time.Since(started); elapsed > time.Minute {
		t.Fatalf("data took %s to arrive; a new user must see it within a minute", elapsed)
	}
	t.Logf("stored %v within %s of starting the demo", stored, time.Since(started).Round(time.Millisecond))
	demo.StopClean(t)
}

// startUsher runs `usher serve` on listen (host:port; port 0 for a free
// one) and returns once it listens, with the address it listens on.
func startUsher(t *testing.T, cfgPath, dsn, listen string) (*proc, string) {
	t.Helper()
	p := start(t, []string{"E2E_PUSH_KEY=" + pushKey}, "serve", "--config", cfgPath, "--database", dsn, "--listen", listen).listening(t)
	return p, p.Addr()
}

const (
	e2eInstitution = "e2evenue"
	pushKey        = "e2e-push-key-0123456789"
)

// writeConfig writes a configuration with one institution pushing with
// an API key.
func writeConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "usher.yaml")
	cfg := fmt.Sprintf(`institutions:
  - code: %s
    auth: {mode: apikey, header: X-Venue-Key, secret_env: E2E_PUSH_KEY}
`, e2eInstitution)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// expected is what usher must hold: every version of every document,
// by stream and external id, in the order the venue produced them.
type expected map[usher.Stream]map[string][]string

func expect(t *testing.T, events []s360.Event, cutoff time.Time) expected {
	t.Helper()
	exp := expected{}
	for _, st := range usher.Streams {
		exp[st] = map[string][]string{}
	}
	for _, e := range events {
		if e.Created.Before(cutoff) {
			continue
		}
		h, err := usher.HashJSON(e.Raw)
		if err != nil {
			t.Fatal(err)
		}
		exp[e.Stream][e.ExternalID] = append(exp[e.Stream][e.ExternalID], h)
	}
	return exp
}

// verifyStore checks that usher holds exactly exp: the same documents
// (counted, and compared by content hash, recomputed from the stored
// body), every version of a contact, and the latest one as current. It
// reads the database itself: the point is every stored version's bytes
// after crashes and faults, which the API does not list.
func verifyStore(t *testing.T, dsn string, exp expected) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, stream := range usher.Streams {
		want := exp[stream]
		if len(want) == 0 {
			t.Fatalf("%s: the simulator generated nothing: the test proves nothing", stream)
		}
		current := find(t, st, usher.DocumentFilter{Institution: e2eInstitution, Stream: stream, Limit: 1 << 30})
		if len(current) != len(want) {
			t.Errorf("%s: usher holds %d documents, the simulator generated %d", stream, len(current), len(want))
		}
		for id, hash := range current {
			if versions := want[id]; len(versions) == 0 || hash[0] != versions[len(versions)-1] {
				t.Errorf("%s %s: current version %s, want the latest generated one %v", stream, id, hash, versions)
			}
		}
		all := find(t, st, usher.DocumentFilter{Institution: e2eInstitution, Stream: stream, AllVersions: true, Limit: 1 << 30})
		for id, versions := range want {
			got, wantSorted := all[id], slices.Sorted(slices.Values(versions))
			slices.Sort(got)
			if stream == usher.StreamContacts {
				// A contact push carries the contact as it is at the run:
				// versions superseded before their run are never pushed.
				for _, h := range got {
					if !slices.Contains(wantSorted, h) {
						t.Errorf("%s %s: stored version %s was never generated (%v)", stream, id, h, wantSorted)
					}
				}
				continue
			}
			if !slices.Equal(got, wantSorted) {
				t.Errorf("%s %s: stored versions %v, generated %v", stream, id, got, wantSorted)
			}
		}
		if len(all) != len(want) {
			t.Errorf("%s: %d ids stored, %d generated", stream, len(all), len(want))
		}
	}
}

// find returns the content hashes of the documents f selects, by external
// id, after checking each stored hash against the stored body.
func find(t *testing.T, st usher.Store, f usher.DocumentFilter) map[string][]string {
	t.Helper()
	docs, err := st.FindDocuments(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, d := range docs {
		h, err := usher.HashJSON(d.Raw)
		if err != nil || h != d.Hash {
			t.Fatalf("%s %s: stored body hashes to %s, stored hash %s (%v)", f.Stream, d.ExternalID, h, d.Hash, err)
		}
		out[d.ExternalID] = append(out[d.ExternalID], d.Hash)
	}
	return out
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
