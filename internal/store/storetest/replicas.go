package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/usher-hub/usher"
)

// replicasNeverShareJobs runs workers on several handles at once and
// checks that every job ran exactly once, and the jobs of one order key
// one at a time, in order.
func replicasNeverShareJobs(t *testing.T, stores []usher.Store) {
	const keys, perKey = 20, 8
	var batch []usher.NewJob
	for i := range keys * perKey {
		batch = append(batch, newJob("v", fmt.Sprint("key-", i%keys), fmt.Sprint("job-", i)))
	}
	if _, err := stores[0].EnqueueJobs(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tr := newClaimTracker()
	var wg sync.WaitGroup
	for i, s := range stores {
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tr.work(ctx, t, s, fmt.Sprintf("replica-%d/%d", i, w), keys*perKey)
			}()
		}
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("workers did not finish: %d of %d jobs done", tr.doneCount(), keys*perKey)
	}
	tr.check(t, keys*perKey)
}

type claimTracker struct {
	mu       sync.Mutex
	runs     map[int64]int
	inFlight map[string]bool
	order    map[string][]int64
	overlaps []string
	done     int
}

func newClaimTracker() *claimTracker {
	return &claimTracker{runs: map[int64]int{}, inFlight: map[string]bool{}, order: map[string][]int64{}}
}

func (tr *claimTracker) doneCount() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.done
}

// work claims and finishes jobs until total are done. A key leaves the
// in-flight set just before its job is finished, so a claim seen while
// the key is still in the set is a real overlap.
func (tr *claimTracker) work(ctx context.Context, t *testing.T, s usher.Store, owner string, total int) {
	for ctx.Err() == nil && tr.doneCount() < total {
		jobs, err := s.ClaimJobs(ctx, usher.ClaimRequest{Owner: owner, Limit: 4, Now: t0, LeaseUntil: t0.Add(time.Hour)})
		if err != nil {
			t.Errorf("%s claim: %v", owner, err)
			return
		}
		tr.mu.Lock()
		for _, j := range jobs {
			tr.runs[j.ID]++
			if tr.inFlight[j.OrderKey] {
				tr.overlaps = append(tr.overlaps, fmt.Sprintf("job %d of %s", j.ID, j.OrderKey))
			}
			tr.inFlight[j.OrderKey] = true
			tr.order[j.OrderKey] = append(tr.order[j.OrderKey], j.ID)
		}
		tr.mu.Unlock()
		for _, j := range jobs {
			tr.mu.Lock()
			delete(tr.inFlight, j.OrderKey)
			tr.mu.Unlock()
			if err := s.FinishJob(ctx, usher.JobFinish{ID: j.ID, LeaseToken: j.LeaseToken, State: usher.JobDone, Now: t0}); err != nil {
				t.Errorf("%s finish %d: %v", owner, j.ID, err)
				return
			}
			tr.mu.Lock()
			tr.done++
			tr.mu.Unlock()
		}
	}
}

func (tr *claimTracker) check(t *testing.T, total int) {
	t.Helper()
	if len(tr.runs) != total {
		t.Fatalf("%d distinct jobs ran, want %d", len(tr.runs), total)
	}
	for id, n := range tr.runs {
		if n != 1 {
			t.Fatalf("job %d ran %d times", id, n)
		}
	}
	if len(tr.overlaps) > 0 {
		t.Fatalf("jobs claimed while their key's previous job was in flight: %v", tr.overlaps)
	}
	for key, ids := range tr.order {
		if !slices.IsSorted(ids) {
			t.Fatalf("key %s ran out of order: %v", key, ids)
		}
	}
}

// replicasShareRate reserves slots from two handles at once and checks
// the merged schedule against the plan, and that a block set through one
// handle holds for the other.
func replicasShareRate(t *testing.T, stores []usher.Store) {
	ctx := context.Background()
	plan := usher.RatePlan{Interval: 100 * time.Millisecond, Burst: 3}
	var mu sync.Mutex
	var starts []time.Time
	var wg sync.WaitGroup
	for _, s := range stores {
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 5 {
					got, _, err := s.ReserveRate(ctx, "s360:v", plan, 2, t0.Add(time.Duration(i)*10*time.Millisecond), time.Time{})
					if err != nil {
						t.Errorf("reserve: %v", err)
						return
					}
					mu.Lock()
					starts = append(starts, got...)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if len(starts) != 60 {
		t.Fatalf("got %d slots, want 60", len(starts))
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	for i := range starts {
		for k := plan.Burst; i+k < len(starts); k++ {
			if gap, min := starts[i+k].Sub(starts[i]), time.Duration(k+1-plan.Burst)*plan.Interval; gap < min {
				t.Fatalf("slots %d and %d are %v apart, want at least %v: the budget was overspent", i, i+k, gap, min)
			}
		}
	}
	until := t0.Add(time.Hour)
	if err := stores[1].BlockRate(ctx, "s360:v", until); err != nil {
		t.Fatal(err)
	}
	if err := stores[1].BlockRate(ctx, "s360:v", t0); err != nil {
		t.Fatal(err)
	}
	got, next, err := stores[0].ReserveRate(ctx, "s360:v", plan, 1, t0.Add(time.Minute), t0.Add(2*time.Minute))
	if err != nil || len(got) != 0 || !next.Equal(until) {
		t.Fatalf("slot during a block = %v (next %v), %v; want none before %v", got, next, err, until)
	}
	got, _, err = stores[0].ReserveRate(ctx, "s360:v", plan, 1, t0.Add(time.Minute), time.Time{})
	if err != nil || len(got) != 1 || got[0].Before(until) {
		t.Fatalf("slot during a block = %v, %v; want at or after %v", got, err, until)
	}
	st, err := stores[0].RateState(ctx, "s360:v")
	if err != nil || !st.BlockedUntil.Equal(until) {
		t.Fatalf("state = %+v, %v; want blocked until %v", st, err, until)
	}
	if st, err := stores[0].RateState(ctx, "never-used"); err != nil || !st.TAT.IsZero() {
		t.Fatalf("unused bucket = %+v, %v", st, err)
	}
}
