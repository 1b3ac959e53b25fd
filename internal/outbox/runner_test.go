package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/outbox"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/testdb"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type bundle struct {
	store usher.Store
	clock *clock
}

// forEachEngine runs test against a fresh SQLite and a fresh Postgres.
func forEachEngine(t *testing.T, test func(t *testing.T, b *bundle)) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
			st, err := store.Open(context.Background(), testdb.DSN(t, engine), clk.Now)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			test(t, &bundle{store: st, clock: clk})
		})
	}
}

func (b *bundle) runner(handlers map[string]outbox.Handler, concurrency int) *outbox.Runner {
	return outbox.New(b.store, handlers, outbox.Config{
		Owner: "test", Concurrency: concurrency, Now: b.clock.Now, PollInterval: 10 * time.Millisecond,
		Backoff: outbox.Backoff{Base: time.Second, Max: time.Minute, Rand: func() float64 { return 0.5 }},
	}, metrics.NewOutbox(prometheus.NewRegistry()), slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func (b *bundle) enqueue(t *testing.T, key, idem string, attempts int) usher.Job {
	t.Helper()
	jobs, err := b.store.EnqueueJobs(context.Background(), []usher.NewJob{{Institution: "v", Kind: "k", OrderKey: key,
		IdempotencyKey: idem, Payload: json.RawMessage(`{}`), MaxAttempts: attempts, RunAt: b.clock.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	return jobs[0]
}

func (b *bundle) job(t *testing.T, id int64) usher.Job {
	t.Helper()
	jobs, err := b.store.FindJobs(context.Background(), usher.JobFilter{IDs: []int64{id}})
	if err != nil || len(jobs) != 1 {
		t.Fatalf("find job %d: %v %v", id, jobs, err)
	}
	return jobs[0]
}

func runOnce(t *testing.T, r *outbox.Runner) int {
	t.Helper()
	n, err := r.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRetriesBackOffThenDeadLetter(t *testing.T) {
	forEachEngine(t, func(t *testing.T, b *bundle) {
		calls := 0
		r := b.runner(map[string]outbox.Handler{"k": outbox.HandlerFunc(func(ctx context.Context, j usher.Job) (json.RawMessage, error) {
			calls++
			return nil, errors.New("503 from upstream")
		})}, 1)
		j := b.enqueue(t, "A", "a", 3)
		runOnce(t, r)
		got := b.job(t, j.ID)
		// Attempt 1 failed: retry after Base (1 s) drawn from its upper half.
		if got.State != usher.JobQueued || got.LastError != "503 from upstream" || !got.RunAt.Equal(b.clock.Now().Add(750*time.Millisecond)) {
			t.Fatalf("after one failure: %+v", got)
		}
		if runOnce(t, r) != 0 {
			t.Fatal("a job ran before its retry was due")
		}
		b.clock.Add(750 * time.Millisecond)
		runOnce(t, r)
		// Attempt 2 failed: the delay doubled.
		if got = b.job(t, j.ID); !got.RunAt.Equal(b.clock.Now().Add(1500 * time.Millisecond)) {
			t.Fatalf("second retry at %v, want 1.5 s later", got.RunAt.Sub(b.clock.Now()))
		}
		b.clock.Add(2 * time.Second)
		runOnce(t, r)
		if got = b.job(t, j.ID); got.State != usher.JobFailed || got.Attempts != 3 || calls != 3 {
			t.Fatalf("after max attempts: %+v (%d calls), want failed after 3", got, calls)
		}
	})
}

func TestPermanentSnoozeAndSuccess(t *testing.T) {
	forEachEngine(t, func(t *testing.T, b *bundle) {
		var mu sync.Mutex
		snoozes := 0
		r := b.runner(map[string]outbox.Handler{"k": outbox.HandlerFunc(func(ctx context.Context, j usher.Job) (json.RawMessage, error) {
			mu.Lock()
			defer mu.Unlock()
			switch j.OrderKey {
			case "perm":
				return nil, outbox.Permanent(errors.New("422 contact invalid"))
			case "snooze":
				if snoozes < 4 {
					snoozes++
					return nil, outbox.Snooze(b.clock.Now().Add(time.Second), errors.New("rate limited"))
				}
			}
			return json.RawMessage(`{"contactNumber":"5000001"}`), nil
		})}, 4)
		perm := b.enqueue(t, "perm", "p", 5)
		snooze := b.enqueue(t, "snooze", "s", 2)
		for range 5 {
			runOnce(t, r)
			b.clock.Add(time.Second)
		}
		if got := b.job(t, perm.ID); got.State != usher.JobFailed || got.Attempts != 1 {
			t.Fatalf("permanent failure: %+v, want failed on its first attempt", got)
		}
		got := b.job(t, snooze.ID)
		if got.State != usher.JobDone || got.Attempts != 1 || !json.Valid(got.Result) {
			t.Fatalf("snoozed job: %+v, want done on attempt 1 with its result after 4 snoozes", got)
		}
	})
}

func TestCrashedWorkersJobIsTakenOver(t *testing.T) {
	forEachEngine(t, func(t *testing.T, b *bundle) {
		j := b.enqueue(t, "A", "a", 3)
		// A worker claims the job and dies without finishing it.
		if _, err := b.store.ClaimJobs(context.Background(), usher.ClaimRequest{Owner: "dead", Limit: 1, Now: b.clock.Now(), LeaseUntil: b.clock.Now().Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		ran := 0
		r := b.runner(map[string]outbox.Handler{"k": outbox.HandlerFunc(func(ctx context.Context, j usher.Job) (json.RawMessage, error) {
			ran++
			return nil, nil
		})}, 1)
		if runOnce(t, r) != 0 {
			t.Fatal("took over a job whose lease still holds")
		}
		b.clock.Add(61 * time.Second)
		runOnce(t, r)
		if got := b.job(t, j.ID); ran != 1 || got.State != usher.JobDone || got.Attempts != 2 {
			t.Fatalf("after the lease expired: ran %d, job %+v", ran, got)
		}
	})
}

// TestRunKeepsOrderPerKey runs the real loop with many workers over jobs
// of a few keys and checks each key's jobs ran one at a time, in order.
func TestRunKeepsOrderPerKey(t *testing.T) {
	forEachEngine(t, func(t *testing.T, b *bundle) {
		const keys, perKey = 5, 12
		var mu sync.Mutex
		order := map[string][]int{}
		running := map[string]bool{}
		overlap := false
		allDone := make(chan struct{})
		count := 0
		r := b.runner(map[string]outbox.Handler{"k": outbox.HandlerFunc(func(ctx context.Context, j usher.Job) (json.RawMessage, error) {
			mu.Lock()
			overlap = overlap || running[j.OrderKey]
			running[j.OrderKey] = true
			mu.Unlock()
			var p struct{ N int }
			_ = json.Unmarshal(j.Payload, &p)
			mu.Lock()
			defer mu.Unlock()
			running[j.OrderKey] = false
			order[j.OrderKey] = append(order[j.OrderKey], p.N)
			if count++; count == keys*perKey {
				close(allDone)
			}
			return nil, nil
		})}, 8)
		var batch []usher.NewJob
		for i := range keys * perKey {
			batch = append(batch, usher.NewJob{Institution: "v", Kind: "k", OrderKey: fmt.Sprint("key-", i%keys),
				IdempotencyKey: fmt.Sprint(i), Payload: json.RawMessage(fmt.Sprintf(`{"N":%d}`, i)), MaxAttempts: 1, RunAt: b.clock.Now()})
		}
		if _, err := b.store.EnqueueJobs(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan error)
		go func() { stopped <- r.Run(ctx) }()
		r.Wake()
		select {
		case <-allDone:
		case <-time.After(time.Minute):
			t.Fatal("the runner did not finish the jobs within a minute")
		}
		cancel()
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
		if overlap {
			t.Fatal("two jobs of one key ran at once")
		}
		for key, ns := range order {
			if len(ns) != perKey || !slices.IsSorted(ns) {
				t.Fatalf("key %s ran %v, want %d jobs in enqueue order", key, ns, perKey)
			}
		}
		counts, err := b.store.CountJobs(context.Background())
		if err != nil || len(counts) != 1 || counts[0].State != usher.JobDone || counts[0].Count != keys*perKey {
			t.Fatalf("counts = %+v, %v: every attempt must be recorded before Run returns", counts, err)
		}
	})
}

func TestBackoffDelay(t *testing.T) {
	b := outbox.Backoff{Base: 5 * time.Second, Max: time.Hour}
	for _, tc := range []struct {
		attempt  int
		rnd      float64
		min, max time.Duration
	}{
		{1, 0, 2500 * time.Millisecond, 2500 * time.Millisecond},
		{1, 0.999, 2500 * time.Millisecond, 5 * time.Second},
		{4, 0, 20 * time.Second, 20 * time.Second},
		{40, 0.999, 30 * time.Minute, time.Hour},
	} {
		b.Rand = func() float64 { return tc.rnd }
		if d := b.Delay(tc.attempt); d < tc.min || d > tc.max {
			t.Errorf("Delay(%d) with rand %v = %v, want in [%v, %v]", tc.attempt, tc.rnd, d, tc.min, tc.max)
		}
	}
}

// TestReplicasRunEachJobOnce runs three runners, each on its own
// connection pool to one database (three usher replicas), over 300 jobs
// and checks every job ran exactly once.
func TestReplicasRunEachJobOnce(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			const jobs = 300
			dsn := testdb.DSN(t, engine)
			var mu sync.Mutex
			runs := map[int64]int{}
			allDone := make(chan struct{})
			handler := outbox.HandlerFunc(func(ctx context.Context, j usher.Job) (json.RawMessage, error) {
				mu.Lock()
				defer mu.Unlock()
				runs[j.ID]++
				if len(runs) == jobs && runs[j.ID] == 1 {
					close(allDone)
				}
				return nil, nil
			})
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for i := range 3 {
				st, err := store.Open(context.Background(), dsn, time.Now)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				if i == 0 {
					var batch []usher.NewJob
					for n := range jobs {
						batch = append(batch, usher.NewJob{Institution: "v", Kind: "k", OrderKey: fmt.Sprint(n % 50), IdempotencyKey: fmt.Sprint(n),
							Payload: json.RawMessage(`{}`), MaxAttempts: 1})
					}
					if _, err := st.EnqueueJobs(context.Background(), batch); err != nil {
						t.Fatal(err)
					}
				}
				r := outbox.New(st, map[string]outbox.Handler{"k": handler}, outbox.Config{Owner: fmt.Sprint("replica-", i), Concurrency: 4,
					PollInterval: 10 * time.Millisecond}, metrics.NewOutbox(prometheus.NewRegistry()), slog.New(slog.NewTextHandler(io.Discard, nil)))
				wg.Add(1)
				go func() {
					defer wg.Done()
					_ = r.Run(ctx)
				}()
			}
			select {
			case <-allDone:
			case <-time.After(time.Minute):
				t.Fatal("the replicas did not run every job within a minute")
			}
			cancel()
			wg.Wait()
			for id, n := range runs {
				if n != 1 {
					t.Fatalf("job %d ran %d times", id, n)
				}
			}
		})
	}
}
