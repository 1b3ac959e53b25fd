package usher_test

import (
	"testing"
	"time"

	"github.com/usher-hub/usher"
)

// TestPlanNeverOverspends reserves slots greedily and checks that no
// window of the limit's length holds more calls than the budget less
// headroom, and that the long-run rate uses most of it.
func TestPlanNeverOverspends(t *testing.T) {
	for _, tc := range []struct {
		limit    usher.RateLimit
		headroom float64
	}{
		{usher.RateLimit{Limit: 180, Window: time.Minute}, 0.05},
		{usher.RateLimit{Limit: 1000, Window: 10 * time.Second}, 0.05},
		{usher.RateLimit{Limit: 2, Window: time.Minute}, 0},
		{usher.RateLimit{Limit: 1, Window: time.Second}, 0.05},
	} {
		plan := tc.limit.Plan(tc.headroom)
		usable := max(int(float64(tc.limit.Limit)*(1-tc.headroom)), 1)
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		starts, _, _ := plan.Reserve(usher.RateState{}, now, 5*usable, time.Time{})
		for i := range starts {
			j := i
			for j < len(starts) && starts[j].Sub(starts[i]) < tc.limit.Window {
				j++
			}
			if j-i > usable {
				t.Fatalf("%+v: %d calls within one window from slot %d, budget %d", tc.limit, j-i, i, usable)
			}
		}
		span := starts[len(starts)-1].Sub(starts[0])
		rate := float64(len(starts)-1) / span.Seconds() / (float64(tc.limit.Limit) / tc.limit.Window.Seconds())
		if tc.limit.Limit >= 180 && rate < 0.9 {
			t.Fatalf("%+v: plan %+v uses %.1f%% of the limit, want at least 90%%", tc.limit, plan, 100*rate)
		}
	}
}

func TestReserveRespectsBlockAndDeadline(t *testing.T) {
	plan := usher.RatePlan{Interval: time.Second, Burst: 2}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	starts, next, st := plan.Reserve(usher.RateState{}, now, 4, now.Add(1500*time.Millisecond))
	if len(starts) != 3 || !starts[0].Equal(now) || !starts[1].Equal(now) || !starts[2].Equal(now.Add(time.Second)) || !next.Equal(now.Add(2*time.Second)) {
		t.Fatalf("starts %v, next %v", starts, next)
	}
	if got := plan.Available(st, now); got != 0 {
		t.Fatalf("available right after the burst = %d, want 0", got)
	}
	if got := plan.Available(st, now.Add(time.Hour)); got != 2 {
		t.Fatalf("available after an idle hour = %d, want the burst, 2", got)
	}
	st.BlockedUntil = now.Add(time.Minute)
	if got := plan.Available(st, now.Add(30*time.Second)); got != 0 {
		t.Fatal("a blocked bucket has no headroom")
	}
	starts, _, _ = plan.Reserve(st, now.Add(30*time.Second), 1, time.Time{})
	if !starts[0].Equal(st.BlockedUntil) {
		t.Fatalf("start during a block = %v, want %v", starts[0], st.BlockedUntil)
	}
}
