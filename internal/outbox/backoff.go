package outbox

import (
	"math/rand/v2"
	"time"
)

// Backoff is an exponential retry delay with jitter: Base after the first
// failed attempt, doubling each time up to Max. Each delay is drawn from
// its upper half (equal jitter), so jobs that failed together, when an
// upstream went down, do not all come back at the same instant.
type Backoff struct {
	Base time.Duration
	Max  time.Duration
	// Rand returns a number in [0, 1); default math/rand/v2.
	Rand func() float64
}

// DefaultBackoff is 5 s doubling to an hour.
var DefaultBackoff = Backoff{Base: 5 * time.Second, Max: time.Hour}

// Delay returns the wait before the retry that follows attempt (1-based).
func (b Backoff) Delay(attempt int) time.Duration {
	base, ceil := b.Base, b.Max
	if base <= 0 {
		base = DefaultBackoff.Base
	}
	if ceil < base {
		ceil = base
	}
	d := base
	for i := 1; i < attempt && d < ceil; i++ {
		d *= 2
	}
	d = min(d, ceil)
	r := b.Rand
	if r == nil {
		r = rand.Float64
	}
	return d/2 + time.Duration(r()*float64(d/2))
}
