package httpapi

import (
	"fmt"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time              { return c.t }
func (c *clock) advance(d time.Duration)     { c.t = c.t.Add(d) }
func newTestThrottle(c *clock) *AuthThrottle { return NewAuthThrottle(DefaultThrottleLimits, c.now) }

// failUntilBlocked records failures for name from addr until the throttle
// refuses, and returns how many it took and the wait asked for.
func failUntilBlocked(t *testing.T, th *AuthThrottle, addr, name string) (int, int64) {
	t.Helper()
	for n := 1; n <= 1000; n++ {
		if err := th.Check(addr, name); err != nil {
			wait, ok := RetryAfter(err)
			if !ok {
				t.Fatalf("refusal without a Retry-After: %v", err)
			}
			return n - 1, wait
		}
		th.Record(addr, name, false)
	}
	t.Fatalf("1000 failures from %s and still not blocked", addr)
	return 0, 0
}

// TestThrottleDelayGrows: past the free failures, each failure blocks
// for twice as long as the one before, up to the maximum.
func TestThrottleDelayGrows(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	th := newTestThrottle(c)
	n, wait := failUntilBlocked(t, th, "192.0.2.1", "api key")
	if n != DefaultThrottleLimits.AddressFree+1 || wait != 1 {
		t.Fatalf("blocked after %d failures for %d s, want after %d for 1 s", n, wait, DefaultThrottleLimits.AddressFree+1)
	}
	var waits []int64
	for range 12 {
		c.advance(time.Duration(wait) * time.Second)
		th.Record("192.0.2.1", "api key", false)
		err := th.Check("192.0.2.1", "api key")
		wait, _ = RetryAfter(err)
		waits = append(waits, wait)
	}
	want := []int64{2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("successive waits %v, want %v", waits, want)
		}
	}
	c.advance(DefaultThrottleLimits.Forget + 16*time.Minute)
	if err := th.Check("192.0.2.1", "api key"); err != nil {
		t.Fatalf("an hour after the last failure: %v", err)
	}
}

// TestThrottleSparesTheRightCredentialElsewhere: a guesser blocked at
// one address blocks neither another address nor, once the name is
// blocked by guesses from many addresses, an address where the credential
// worked lately.
func TestThrottleSparesTheRightCredentialElsewhere(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	th := newTestThrottle(c)
	const name = "push credential of myvenue"
	th.Record("198.51.100.7", name, true) // S-360 pushed successfully
	failUntilBlocked(t, th, "203.0.113.1", name)
	if err := th.Check("198.51.100.8", name); err != nil {
		t.Fatalf("another address is blocked by one guesser: %v", err)
	}
	// A guesser spread over many addresses, each under its own limit.
	for i := range 60 {
		addr := "203.0.113." + string(rune('a'+i%26)) + string(rune('a'+i/26))
		th.Record(addr, name, false)
	}
	if err := th.Check("192.0.2.99", name); err == nil {
		t.Fatal("60 failures over 60 addresses did not block the name for a new address")
	}
	if err := th.Check("198.51.100.7", name); err != nil {
		t.Fatalf("S-360's address, where the credential worked, is blocked: %v", err)
	}
	if err := th.Check("192.0.2.99", "api key"); err != nil {
		t.Fatalf("another name is blocked: %v", err)
	}
}

// TestThrottleSuccessDoesNotResetAnAddress: a valid key of one
// institution must not let its holder keep guessing others.
func TestThrottleSuccessDoesNotResetAnAddress(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	th := newTestThrottle(c)
	for range DefaultThrottleLimits.AddressFree {
		th.Record("192.0.2.1", "api key", false)
		th.Record("192.0.2.1", "api key", true)
	}
	th.Record("192.0.2.1", "api key", false)
	if err := th.Check("192.0.2.1", "api key"); err == nil {
		t.Fatal("successes in between reset the failures of the address")
	}
}

// TestThrottleBoundsMemory: beyond MaxAddresses new addresses are not
// tracked, and the table does not grow.
func TestThrottleBoundsMemory(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	limits := DefaultThrottleLimits
	limits.MaxAddresses = 10
	th := NewAuthThrottle(limits, c.now)
	for i := range 1000 {
		th.Record(fmt.Sprintf("10.0.%d.%d", i/256, i%256), "x", false)
	}
	if len(th.addrs) > 10 {
		t.Fatalf("%d addresses tracked, limit 10", len(th.addrs))
	}
}
