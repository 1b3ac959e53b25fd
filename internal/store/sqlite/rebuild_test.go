package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	fx "github.com/usher-hub/usher/internal/analytics/analyticstest"
)

// rebuildHistory is the stored history a rebuild reads: enough that a
// rebuild in one transaction holds the writer for seconds.
func rebuildHistory(t *testing.T, s *Store, orders, checksPerOrder int) {
	t.Helper()
	ctx := context.Background()
	var batch []usher.Document
	flush := func() {
		if _, err := s.SaveGrouped(ctx, batch, time.Now()); err != nil {
			t.Fatal(err)
		}
		batch = batch[:0]
	}
	for i := range orders {
		id := int64(100000 + i)
		day := 1 + i%28
		created := fmt.Sprintf("2023-02-%02dT10:00:00.000+01:00", day)
		var mvs []fx.Movement
		for m := range checksPerOrder {
			mvs = append(mvs, fx.Movement{ID: id*10 + int64(m), Type: "SALE", Amount: 2500, Audience: "ADULT", Category: "ENTRY"})
		}
		batch = append(batch, fx.Order(t, fx.Institution, id, "CLOSED", "SALE", created,
			fx.Operation{Product: fmt.Sprint("P", i%7), Event: fmt.Sprint("E", i%5), Quantity: checksPerOrder, UnitPrice: 2500, Movements: mvs}))
		for m := range checksPerOrder {
			at := fmt.Sprintf("2023-02-%02d %02d:%02d:00", day, 9+m%8, i%60)
			batch = append(batch, fx.Check(t, fx.Institution, id*10+int64(m), id*10+int64(m), at, "IN", "OK", "NO_FAIL", "North"))
		}
		if len(batch) >= 500 {
			flush()
		}
	}
	flush()
	if err := s.rebuildAtOnce(ctx, fx.Institution); err != nil {
		t.Fatal(err)
	}
}

// rollups reads every projection of the institution, sorted. Rows of
// attendance_movement_daily counting 0 checks are left out: the projector
// leaves them behind when checks move from unmatched to matched, a
// rebuild in one go never writes them, and reports sum them as nothing.
func rollups(t *testing.T, s *Store) string {
	t.Helper()
	var out []string
	for _, table := range []string{"attendance_hourly", "gate_daily", "attendance_movement_daily", "order_movements", "sales_daily", "contacts_daily", "analytics_applied_orders"} {
		rows, err := s.read.Query(`SELECT * FROM `+table+` WHERE institution = ?`, fx.Institution)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			if table == "attendance_movement_daily" && fmt.Sprint(vals[len(vals)-1]) == "0" {
				continue
			}
			out = append(out, table+fmt.Sprint(vals...))
		}
		rows.Close()
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// pushChecks stores a payload of 50 new checks through s every 20 ms
// (2,500 checks a second, far above S-360's pace) until stop is closed, and
// returns each payload's latency and how many failed.
func pushChecks(t *testing.T, s *Store, first int64, stop <-chan struct{}, max int) (latencies []time.Duration, failed int) {
	ctx := context.Background()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for p := 0; p < max; p++ {
		select {
		case <-stop:
			return latencies, failed
		case <-tick.C:
		}
		payload := make([]usher.Document, 50)
		for i := range payload {
			id := first + int64(p*50+i)
			payload[i] = fx.Check(t, "live-venue", id, id, "2023-03-01 10:00:00", "IN", "OK", "NO_FAIL", "")
		}
		start := time.Now()
		if _, err := s.SaveGrouped(ctx, payload, time.Now()); err != nil {
			failed++
		}
		latencies = append(latencies, time.Since(start))
	}
	return latencies, failed
}

// project runs the projector on s as a server does until stop is closed:
// batch after batch while the queue is behind, else one a tick.
func project(s *Store, stop <-chan struct{}) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		p, err := s.ProjectAnalytics(context.Background(), 200)
		if err == nil && (p.Partial || p.Pending > 0) {
			select {
			case <-stop:
				return
			default:
				continue
			}
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

func p99(ls []time.Duration) time.Duration {
	if len(ls) == 0 {
		return 0
	}
	ls = slices.Clone(ls)
	slices.Sort(ls)
	return ls[(len(ls)*99)/100]
}

// TestRebuildLetsPushesThrough runs `usher report rebuild`'s store call
// from a second store on the same file (as the CLI, another process, does)
// while the first, the server's, takes pushes. A rebuild in one
// transaction held the writer throughout, so no push got through until it
// ended (and over busy_timeout each failed with 503, issue 16); the sliced
// rebuild lets them through and ends where the one-transaction rebuild
// does.
func TestRebuildLetsPushesThrough(t *testing.T) {
	if testing.Short() {
		t.Skip("stores a history of 24,000 documents")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usher.db")
	server, err := Open(ctx, path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	rebuildHistory(t, server, 4000, 5)
	want := rollups(t, server)

	baseline, failed := pushChecks(t, server, 1, nil, 50)
	if failed > 0 {
		t.Fatalf("%d pushes failed without a rebuild", failed)
	}

	cli, err := Open(ctx, path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	stop := make(chan struct{})
	var during []time.Duration
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		during, failed = pushChecks(t, server, 1_000_000, stop, 1_000_000)
	}()
	go func() { // the server's projector applies what its pushes queue
		defer wg.Done()
		project(server, stop)
	}()
	start := time.Now()
	rebuildErr := cli.RebuildAnalyticsSteps(ctx, fx.Institution, nil)
	took := time.Since(start)
	close(stop)
	wg.Wait()
	if rebuildErr != nil {
		t.Fatal(rebuildErr)
	}
	t.Logf("rebuild of %d documents took %s; push p99 %s without a rebuild (%d payloads), %s during it (%d payloads, %d failed)",
		4000*6, took.Round(time.Millisecond), p99(baseline), len(baseline), p99(during), len(during), failed)
	if failed > 0 || len(during) < 5 {
		t.Fatalf("during the rebuild %d pushes got through and %d failed; want at least 5 and none", len(during)-failed, failed)
	}
	if got := rollups(t, server); got != want {
		t.Fatalf("the sliced rebuild left other rollups than a rebuild in one transaction:\n%.2000s\nwant\n%.2000s", got, want)
	}
}
