package s360

import (
	"context"
	"sync"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/wait"
)

// DefaultRateLimit is S-360's documented budget: 180 calls a minute per
// instance, all endpoints together.
var DefaultRateLimit = usher.RateLimit{Limit: 180, Window: time.Minute}

// DefaultHeadroom is the share of the budget usher leaves unused to
// absorb network jitter and S-360's own way of counting.
const DefaultHeadroom = 0.05

// Limiter spends one instance's call budget through a bucket row in the
// database, so replicas sharing it never overspend together.
type Limiter struct {
	store  usher.RateLimitStore
	bucket string
	limit  usher.RateLimit
	plan   usher.RatePlan
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	// gate, when set, is a second bucket a call must also pass first:
	// the share of the budget bulk work may take (see BulkBudget).
	gate *Limiter
}

// NewLimiter returns a limiter for bucket, spending limit less headroom.
func NewLimiter(store usher.RateLimitStore, bucket string, limit usher.RateLimit, headroom float64, now func() time.Time) *Limiter {
	return &Limiter{store: store, bucket: bucket, limit: limit, plan: limit.Plan(headroom), now: now, sleep: wait.Sleep}
}

// Wait takes one call slot and returns when the call may start. If no
// slot starts within maxWait (S-360 paused the instance, or replicas
// queue for it) it returns a Throttled error without taking one, so the
// job waits in the queue, not in a worker.
func (l *Limiter) Wait(ctx context.Context, maxWait time.Duration) error {
	if l.gate != nil {
		if err := l.gate.Wait(ctx, maxWait); err != nil {
			return err
		}
	}
	now := l.now()
	starts, next, err := l.store.ReserveRate(ctx, l.bucket, l.plan, 1, now, now.Add(maxWait))
	if err != nil {
		return err
	}
	if len(starts) == 0 {
		return &CallError{Method: "rate limit", Kind: Throttled, RetryAt: next}
	}
	wait := starts[0].Sub(l.now())
	if wait <= 0 {
		return ctx.Err()
	}
	if err := l.sleep(ctx, wait); err != nil {
		return err
	}
	// S-360 may have throttled another call while this one waited: the
	// budget is paused for the window, and nothing goes inside it.
	st, err := l.store.RateState(ctx, l.bucket)
	if err != nil {
		return err
	}
	if st.BlockedUntil.After(l.now()) {
		return &CallError{Method: "rate limit", Kind: Throttled, RetryAt: st.BlockedUntil}
	}
	return nil
}

// Block pauses the bucket until until, for every replica.
func (l *Limiter) Block(ctx context.Context, until time.Time) error {
	return l.store.BlockRate(ctx, l.bucket, until)
}

// Headroom describes a bucket for status pages and metrics.
type Headroom struct {
	Limit  int           `json:"limit"`
	Window time.Duration `json:"-"`
	// WindowSeconds is Window for JSON readers.
	WindowSeconds float64 `json:"window_seconds"`
	// Burst is the most calls that may start at once.
	Burst int `json:"burst"`
	// Available is how many could start now without waiting (0…Burst).
	Available    int        `json:"available"`
	BlockedUntil *time.Time `json:"blocked_until,omitempty"`
}

// Headroom reads the bucket's state.
func (l *Limiter) Headroom(ctx context.Context) (Headroom, error) {
	st, err := l.store.RateState(ctx, l.bucket)
	if err != nil {
		return Headroom{}, err
	}
	now := l.now()
	h := Headroom{Limit: l.limit.Limit, Window: l.limit.Window, WindowSeconds: l.limit.Window.Seconds(),
		Burst: l.plan.Burst, Available: l.plan.Available(st, now)}
	if st.BlockedUntil.After(now) {
		h.BlockedUntil = &st.BlockedUntil
	}
	return h, nil
}

// Budget hands each call the limiter it spends: S-360 has published two
// rules, one budget per instance (180 calls a minute, all endpoints
// together, the current page) and one per endpoint (60 a minute each, an
// older page). "Different versions or protocols of a service count as the
// same endpoint", so an endpoint is a service.
type Budget interface {
	For(service string) *Limiter
}

// InstanceBudget is the current rule: one limiter for every endpoint.
type InstanceBudget struct{ Limiter *Limiter }

// For implements Budget.
func (b InstanceBudget) For(string) *Limiter { return b.Limiter }

// EndpointBudget is the older rule: one limiter per service, each bucket
// named <prefix>:<service> so that replicas share it.
type EndpointBudget struct {
	store    usher.RateLimitStore
	prefix   string
	limit    usher.RateLimit
	headroom float64
	now      func() time.Time

	mu       sync.Mutex
	limiters map[string]*Limiter
}

// NewEndpointBudget returns a per-endpoint budget of limit each.
func NewEndpointBudget(store usher.RateLimitStore, prefix string, limit usher.RateLimit, headroom float64, now func() time.Time) *EndpointBudget {
	return &EndpointBudget{store: store, prefix: prefix, limit: limit, headroom: headroom, now: now, limiters: map[string]*Limiter{}}
}

// For implements Budget.
func (b *EndpointBudget) For(service string) *Limiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.limiters[service]
	if !ok {
		l = NewLimiter(b.store, b.prefix+":"+service, b.limit, b.headroom, b.now)
		b.limiters[service] = l
	}
	return l
}

// BulkBudget is the budget of bulk work (imports): each call passes its
// own bucket, which allows only the share of the limit left after the
// reserve for interactive work, and then the shared one like any call.
// Bulk calls thus never take more than 1-reserve of the budget, and the
// website's and the CRM's live writes, which pass only the shared bucket,
// always find the reserve free.
type BulkBudget struct {
	shared Budget
	gate   *Limiter

	mu       sync.Mutex
	limiters map[string]*Limiter
}

// NewBulkBudget returns the bulk side of shared: bucket (its own, shared
// by replicas) allows limit less reserve and headroom.
func NewBulkBudget(shared Budget, store usher.RateLimitStore, bucket string, limit usher.RateLimit, reserve, headroom float64, now func() time.Time) *BulkBudget {
	return &BulkBudget{shared: shared, gate: NewLimiter(store, bucket, BulkLimit(limit, reserve), headroom, now), limiters: map[string]*Limiter{}}
}

// BulkLimit is the part of limit bulk work may spend, the rest being
// reserved for interactive work.
func BulkLimit(limit usher.RateLimit, reserve float64) usher.RateLimit {
	n := int(float64(limit.Limit) * (1 - reserve))
	return usher.RateLimit{Limit: max(n, 1), Window: limit.Window}
}

// For implements Budget.
func (b *BulkBudget) For(service string) *Limiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.limiters[service]
	if !ok {
		cp := *b.shared.For(service)
		cp.gate = b.gate
		l = &cp
		b.limiters[service] = l
	}
	return l
}
