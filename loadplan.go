package usher

import (
	"math"
	"time"
)

// LoadRequest is a bulk load to plan: what a CRM wants to write to S-360.
type LoadRequest struct {
	// Contacts are new contacts; createCulturalContact carries Batch of
	// them in one call.
	Contacts int
	// ContactExtras are those of Contacts that carry more than an e-mail
	// and names: each needs one saveIndividualContactData call more.
	ContactExtras int
	// Bookings each take createOrUpdateOrder and, for a sale, closeOrder:
	// the plan counts two calls, the most.
	Bookings int
	// LostRatio is the share of write calls whose answer is expected to be
	// lost; each lost batch costs two calls per contact to resolve
	// (searchContact, getContactData). Default 0.
	LostRatio float64
}

// LoadBudget is what the plan is made against: the upstream's limit, the
// share usher leaves unused, the share kept for interactive work, the
// batch size, and the calls already waiting in the outbox.
type LoadBudget struct {
	Limit    RateLimit
	Headroom float64
	Reserve  float64
	Batch    int
	// BacklogCalls are the calls the outbox still has to make (every
	// replica's: it is read from the shared database).
	BacklogCalls int
}

// LoadPlan answers a LoadRequest: how many calls, how long at the rate
// an import may spend, the share of a day's budget, and when it would
// finish behind the current backlog.
type LoadPlan struct {
	Calls int `json:"calls"`
	// Seconds is how long the calls take at the import's rate.
	Seconds float64 `json:"seconds"`
	// CallsPerWindow is the import's rate: the limit less headroom and
	// the reserve for interactive work.
	CallsPerWindow float64 `json:"calls_per_window"`
	WindowSeconds  float64 `json:"window_seconds"`
	Limit          int     `json:"limit"`
	Headroom       float64 `json:"headroom"`
	Reserve        float64 `json:"reserve"`
	Batch          int     `json:"batch"`
	// DailyShare is Calls over the whole day's budget (Limit per window).
	DailyShare float64 `json:"daily_share"`
	// BacklogCalls and BacklogSeconds are the work ahead of the import.
	BacklogCalls   int     `json:"backlog_calls"`
	BacklogSeconds float64 `json:"backlog_seconds"`
	// FinishAt is when the import would be done if started at the plan's
	// time behind the backlog.
	FinishAt time.Time `json:"finish_at"`
}

// PlanLoad plans r against b at now.
func PlanLoad(r LoadRequest, b LoadBudget, now time.Time) LoadPlan {
	batch := max(b.Batch, 1)
	creates := (r.Contacts + batch - 1) / batch
	calls := creates + r.ContactExtras + 2*r.Bookings
	calls += int(math.Round(r.LostRatio * float64(creates) * float64(min(batch, max(r.Contacts, 1))) * 2))
	// The import's bucket: the limit less the reserve, spent as the
	// limiter spends it (see RateLimit.Plan), so the rate is the real one.
	bulk := RateLimit{Limit: max(int(float64(b.Limit.Limit)*(1-b.Reserve)), 1), Window: b.Limit.Window}
	rp := bulk.Plan(b.Headroom)
	p := LoadPlan{Calls: calls, Limit: b.Limit.Limit, Headroom: b.Headroom, Reserve: b.Reserve, Batch: batch,
		WindowSeconds: b.Limit.Window.Seconds(), CallsPerWindow: b.Limit.Window.Seconds() / rp.Interval.Seconds(), BacklogCalls: b.BacklogCalls}
	p.Seconds = callSeconds(calls, p.CallsPerWindow, p.WindowSeconds)
	p.BacklogSeconds = callSeconds(b.BacklogCalls, p.CallsPerWindow, p.WindowSeconds)
	if perDay := float64(b.Limit.Limit) * (24 * time.Hour).Seconds() / p.WindowSeconds; perDay > 0 {
		p.DailyShare = float64(calls) / perDay
	}
	p.FinishAt = now.Add(time.Duration((p.BacklogSeconds + p.Seconds) * float64(time.Second))).UTC().Truncate(time.Second)
	return p
}

// callSeconds is how long n calls take at perWindow calls a window.
func callSeconds(n int, perWindow, windowSeconds float64) float64 {
	if n <= 0 || perWindow <= 0 {
		return 0
	}
	return float64(n) / perWindow * windowSeconds
}
