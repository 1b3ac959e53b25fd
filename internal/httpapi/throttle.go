package httpapi

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/usher-hub/usher"
)

// ETOOMANY is the error code of an attempt refused by a throttle: 429
// with Retry-After.
const ETOOMANY = "too_many_attempts"

// ThrottleLimits are the rules of an AuthThrottle. The defaults
// (DefaultThrottleLimits) let a person mistype a few times and S-360 keep
// pushing, while a guesser gets one try per growing delay.
type ThrottleLimits struct {
	// AddressFree is how many failures one client address may make before
	// each further failure blocks it for a delay.
	AddressFree int
	// NameFree is the same for one credential name (an institution's push
	// credential, the API keys) summed over all addresses, against a
	// guesser spreading over many addresses. Addresses where the name
	// succeeded lately are exempt, so the right credential keeps working.
	NameFree int
	// BaseDelay is the first delay; each further failure doubles it, up
	// to MaxDelay.
	BaseDelay, MaxDelay time.Duration
	// Forget is how long after its last failure a counter is dropped, and
	// how long a success keeps an address exempt from its name's block.
	Forget time.Duration
	// MaxAddresses bounds memory: beyond it, addresses not blocked now are
	// forgotten first, and a new address is not tracked (its name still is).
	MaxAddresses int
}

// DefaultThrottleLimits are the documented defaults (docs/security.md).
var DefaultThrottleLimits = ThrottleLimits{
	AddressFree: 5, NameFree: 50, BaseDelay: time.Second, MaxDelay: 15 * time.Minute,
	Forget: time.Hour, MaxAddresses: 100_000,
}

// AuthThrottle slows down guessing of credentials: failures are counted
// per client address and per credential name, and past a free allowance
// each failure blocks further attempts for a delay that doubles. A blocked
// attempt is refused before its credential is even checked, so guessing
// costs time whatever the attacker sends. One throttle serves every door
// (pushes, API keys, dashboard login), so failures at one count at all.
type AuthThrottle struct {
	limits  ThrottleLimits
	now     func() time.Time
	mu      sync.Mutex
	addrs   map[string]*failures
	names   map[string]*failures
	trusted map[nameAddr]time.Time
}

type failures struct {
	count        int
	last         time.Time
	blockedUntil time.Time
}

type nameAddr struct{ name, addr string }

// NewAuthThrottle returns a throttle with limits, reading time from now.
func NewAuthThrottle(limits ThrottleLimits, now func() time.Time) *AuthThrottle {
	return &AuthThrottle{limits: limits, now: now, addrs: map[string]*failures{}, names: map[string]*failures{},
		trusted: map[nameAddr]time.Time{}}
}

// Check returns an ETOOMANY error while attempts for name from addr are
// blocked. A nil throttle allows everything.
func (t *AuthThrottle) Check(addr, name string) error {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	until := blockedUntil(t.addrs[addr], now)
	if u := blockedUntil(t.names[name], now); u.After(until) && !t.isTrusted(name, addr, now) {
		until = u
	}
	if until.IsZero() {
		return nil
	}
	wait := until.Sub(now)
	return &usher.Error{Code: ETOOMANY,
		Message: fmt.Sprintf("too many failed attempts: try again in %s", wait.Round(time.Second)),
		Detail:  map[string]int64{"retry_after_seconds": retryAfterSeconds(wait)}}
}

// Record counts the outcome of a credential check for name from addr.
func (t *AuthThrottle) Record(addr, name string, ok bool) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if ok {
		// Success does not clear the address's failures: an attacker with
		// one valid key could otherwise reset the count between guesses.
		t.trusted[nameAddr{name, addr}] = now
		return
	}
	t.fail(t.names, name, t.limits.NameFree, now)
	if _, known := t.addrs[addr]; known || t.roomForAddress(now) {
		t.fail(t.addrs, addr, t.limits.AddressFree, now)
	}
}

func (t *AuthThrottle) fail(m map[string]*failures, key string, free int, now time.Time) {
	f := m[key]
	if f == nil || now.Sub(f.last) > t.limits.Forget {
		f = &failures{}
		m[key] = f
	}
	f.count++
	f.last = now
	if over := f.count - free; over > 0 {
		f.blockedUntil = now.Add(t.delay(over))
	}
}

// delay is BaseDelay doubled for each failure beyond the free ones.
func (t *AuthThrottle) delay(over int) time.Duration {
	d := float64(t.limits.BaseDelay) * math.Pow(2, float64(over-1))
	if d > float64(t.limits.MaxDelay) {
		return t.limits.MaxDelay
	}
	return time.Duration(d)
}

func (t *AuthThrottle) isTrusted(name, addr string, now time.Time) bool {
	at, ok := t.trusted[nameAddr{name, addr}]
	return ok && now.Sub(at) <= t.limits.Forget
}

// roomForAddress makes room for one more address if it can: the table is
// swept of counters that block nothing now, and of stale exemptions.
func (t *AuthThrottle) roomForAddress(now time.Time) bool {
	if len(t.addrs) < t.limits.MaxAddresses {
		return true
	}
	for k, f := range t.addrs {
		if !f.blockedUntil.After(now) {
			delete(t.addrs, k)
		}
	}
	for k, at := range t.trusted {
		if now.Sub(at) > t.limits.Forget {
			delete(t.trusted, k)
		}
	}
	return len(t.addrs) < t.limits.MaxAddresses
}

func blockedUntil(f *failures, now time.Time) time.Time {
	if f == nil || !f.blockedUntil.After(now) {
		return time.Time{}
	}
	return f.blockedUntil
}

func retryAfterSeconds(wait time.Duration) int64 {
	return max(int64(math.Ceil(wait.Seconds())), 1)
}

// RetryAfter returns the seconds a throttled error asks the client to
// wait, and whether err is such an error.
func RetryAfter(err error) (int64, bool) {
	var e *usher.Error
	if !errors.As(err, &e) || e.Code != ETOOMANY {
		return 0, false
	}
	d, ok := e.Detail.(map[string]int64)
	return d["retry_after_seconds"], ok
}

// setRetryAfter sets the Retry-After header of a throttled answer.
func setRetryAfter(h http.Header, err error) {
	if s, ok := RetryAfter(err); ok {
		h.Set("Retry-After", strconv.FormatInt(s, 10))
	}
}
