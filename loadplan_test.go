package usher

import (
	"testing"
	"time"
)

// TestPlanLoad checks the planner's arithmetic against the limiter's own
// schedule: 100,000 contacts at S-360's 180 calls a minute, batches of 50,
// 20 % reserved for live writes, 5 % headroom.
func TestPlanLoad(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	b := LoadBudget{Limit: RateLimit{Limit: 180, Window: time.Minute}, Headroom: 0.05, Reserve: 0.2, Batch: 50}
	p := PlanLoad(LoadRequest{Contacts: 100000}, b, now)
	// The import's bucket allows 144 a minute; less 5 % that is 136, spent
	// as 2 at once and then one every 60/135 s.
	if p.Calls != 2000 || p.CallsPerWindow < 134.9 || p.CallsPerWindow > 135.1 {
		t.Fatalf("plan: %+v", p)
	}
	if want := 2000.0 / 135 * 60; p.Seconds < want-1 || p.Seconds > want+1 {
		t.Fatalf("seconds %.1f, want %.1f", p.Seconds, want)
	}
	if want := 2000.0 / (180 * 1440); p.DailyShare < want*0.999 || p.DailyShare > want*1.001 {
		t.Fatalf("daily share %v, want %v", p.DailyShare, want)
	}
	// Extras, bookings, lost answers and a backlog each add their calls.
	b.BacklogCalls = 270
	p = PlanLoad(LoadRequest{Contacts: 120, ContactExtras: 10, Bookings: 5, LostRatio: 0.5}, b, now)
	// 3 batch calls + 10 + 2×5, and half the 3 batches lost: 1.5 × 50 × 2.
	if p.Calls != 3+10+10+150 {
		t.Fatalf("calls %d, want 173", p.Calls)
	}
	if p.BacklogSeconds < 119 || p.BacklogSeconds > 121 || !p.FinishAt.After(now.Add(2*time.Minute)) {
		t.Fatalf("backlog of 270 calls at 135 a minute: %+v", p)
	}
}
