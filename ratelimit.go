package usher

import (
	"context"
	"math"
	"time"
)

// RateLimit is an upstream's call budget: at most Limit calls in any
// window of length Window (S-360: 180 calls a minute per instance).
type RateLimit struct {
	Limit  int
	Window time.Duration
}

// RatePlan is how usher spends a RateLimit: a generic cell rate algorithm
// (a token bucket) that lets Burst calls start at once and then one call
// every Interval. Plan chooses them so that no window of the limit's
// length ever holds more calls than the budget allows.
type RatePlan struct {
	Interval time.Duration
	Burst    int
}

// Plan returns the schedule that keeps within l while using all but
// headroom (a fraction, such as 0.05) of it. The headroom absorbs what
// usher cannot control: network jitter between taking a slot and the
// call reaching the upstream, and the upstream's own way of counting.
func (l RateLimit) Plan(headroom float64) RatePlan {
	usable := int(math.Floor(float64(l.Limit) * (1 - headroom)))
	if usable < 1 {
		usable = 1
	}
	burst := max(usable/60, 1)
	// k calls starting at least Interval apart after a burst of Burst span
	// (k-Burst)*Interval; with Interval = Window/(usable-Burst+1) no
	// half-open window of length Window holds more than usable calls.
	// Rounded up: a nanosecond short per slot adds up to one call too many.
	d := time.Duration(usable - burst + 1)
	interval := (l.Window + d - 1) / d
	return RatePlan{Interval: max(interval, time.Microsecond), Burst: burst}
}

// RateState is a shared bucket as stored: the theoretical arrival time of
// the next call (TAT) and a pause the upstream imposed (Retry-After).
type RateState struct {
	TAT          time.Time
	BlockedUntil time.Time
}

// Reserve takes up to n call slots at now and returns when each granted
// call may start, in order, with the bucket's next state. A start in the
// future is a wait: the slot is the caller's whether or not it waits for
// it. Slots that would start after latest are not taken (a zero latest
// takes all n); next is when the first of them would have started.
func (p RatePlan) Reserve(s RateState, now time.Time, n int, latest time.Time) (starts []time.Time, next time.Time, st RateState) {
	tolerance := time.Duration(p.Burst-1) * p.Interval
	tat := s.TAT
	for range n {
		start := now
		if earliest := tat.Add(-tolerance); earliest.After(start) {
			start = earliest
		}
		if s.BlockedUntil.After(start) {
			start = s.BlockedUntil
		}
		if !latest.IsZero() && start.After(latest) {
			return starts, start, RateState{TAT: tat, BlockedUntil: s.BlockedUntil}
		}
		starts = append(starts, start)
		if tat.Before(start) {
			tat = start
		}
		tat = tat.Add(p.Interval)
	}
	return starts, time.Time{}, RateState{TAT: tat, BlockedUntil: s.BlockedUntil}
}

// Available returns how many calls could start at now without waiting:
// the bucket's headroom, between 0 and Burst.
func (p RatePlan) Available(s RateState, now time.Time) int {
	if s.BlockedUntil.After(now) {
		return 0
	}
	if !s.TAT.After(now) {
		return p.Burst
	}
	n := p.Burst + int(math.Floor(float64(now.Sub(s.TAT))/float64(p.Interval)))
	return max(n, 0)
}

// RateLimitStore keeps rate buckets in the database, so that every usher
// replica sharing it spends one budget per upstream instance.
type RateLimitStore interface {
	// ReserveRate reserves up to n slots of bucket under plan at now,
	// atomically across replicas, and returns when each call may start;
	// see RatePlan.Reserve for latest and next.
	ReserveRate(ctx context.Context, bucket string, plan RatePlan, n int, now, latest time.Time) (starts []time.Time, next time.Time, err error)
	// BlockRate makes bucket start no call before until (an upstream's
	// Retry-After). A block never shortens one already in place.
	BlockRate(ctx context.Context, bucket string, until time.Time) error
	// RateState returns bucket's state; a bucket never used is zero.
	RateState(ctx context.Context, bucket string) (RateState, error)
}

// CeilMicro rounds t up to the microsecond, the precision databases keep:
// a bucket's times rounded down would let calls start early.
func CeilMicro(t time.Time) time.Time {
	if r := t.Truncate(time.Microsecond); !r.Equal(t) {
		return r.Add(time.Microsecond)
	}
	return t
}
