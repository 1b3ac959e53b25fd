package s360

import (
	"sync"
	"time"
)

// BreakerState is the state of a circuit breaker.
type BreakerState string

// The breaker states.
const (
	BreakerClosed   BreakerState = "closed"    // calls flow
	BreakerOpen     BreakerState = "open"      // calls are refused until the cool-down ends
	BreakerHalfOpen BreakerState = "half-open" // one probe call decides
)

// Breaker stops calls to an upstream that keeps failing. After Threshold
// failures in a row it opens for Cooldown; then one probe is let through:
// its success closes the breaker, its failure opens it again. Throttling
// is not a failure: the upstream is alive, only busy.
type Breaker struct {
	threshold int
	cooldown  time.Duration
	now       func() time.Time

	mu       sync.Mutex
	failures int
	state    BreakerState
	until    time.Time // end of the cool-down while open
	probing  bool
}

// NewBreaker returns a closed breaker.
func NewBreaker(threshold int, cooldown time.Duration, now func() time.Time) *Breaker {
	return &Breaker{threshold: max(threshold, 1), cooldown: cooldown, now: now, state: BreakerClosed}
}

// Allow reports whether a call may go now; if not, when to ask again.
func (b *Breaker) Allow() (bool, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	switch b.state {
	case BreakerOpen:
		if now.Before(b.until) {
			return false, b.until
		}
		b.state = BreakerHalfOpen
		b.probing = true
		return true, time.Time{}
	case BreakerHalfOpen:
		if b.probing {
			// Ask again soon: the probe will have answered by then.
			return false, now.Add(b.cooldown / 4)
		}
		b.probing = true
		return true, time.Time{}
	}
	return true, time.Time{}
}

// Record reports the outcome of an allowed call. A call that did not
// reach a verdict (throttled) should be recorded as neither: call Release.
func (b *Breaker) Record(ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	if ok {
		b.failures = 0
		b.state = BreakerClosed
		return
	}
	b.failures++
	if b.state == BreakerHalfOpen || b.failures >= b.threshold {
		b.state = BreakerOpen
		b.until = b.now().Add(b.cooldown)
	}
}

// Release ends an allowed call that said nothing about the upstream's
// health, so that a half-open breaker lets another probe through.
func (b *Breaker) Release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
}

// OpenUntil reports whether the breaker is open, and until when.
func (b *Breaker) OpenUntil() (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerOpen && b.now().Before(b.until) {
		return b.until, true
	}
	return time.Time{}, false
}

// State returns the breaker's state.
func (b *Breaker) State() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerOpen && !b.now().Before(b.until) {
		return BreakerHalfOpen
	}
	return b.state
}
