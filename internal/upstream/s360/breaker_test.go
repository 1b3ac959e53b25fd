package s360_test

import (
	"testing"
	"time"

	"github.com/usher-hub/usher/internal/upstream/s360"
)

func TestBreaker(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	b := s360.NewBreaker(3, 10*time.Second, clk.Now)
	for range 2 {
		b.Allow()
		b.Record(false)
	}
	if b.State() != s360.BreakerClosed {
		t.Fatal("two failures must not open a breaker with threshold 3")
	}
	b.Allow()
	b.Record(false)
	if ok, until := b.Allow(); ok || !until.Equal(clk.Now().Add(10*time.Second)) {
		t.Fatalf("after 3 failures Allow = %v, %v; want refused until the cool-down ends", ok, until)
	}
	clk.Add(10 * time.Second)
	if ok, _ := b.Allow(); !ok {
		t.Fatal("after the cool-down one probe must go")
	}
	if ok, _ := b.Allow(); ok {
		t.Fatal("only one probe at a time")
	}
	b.Record(false)
	if b.State() != s360.BreakerOpen {
		t.Fatal("a failed probe must open the breaker again")
	}
	clk.Add(10 * time.Second)
	b.Allow()
	b.Release() // the probe was throttled: no verdict
	if ok, _ := b.Allow(); !ok {
		t.Fatal("a released probe must let another through")
	}
	b.Record(true)
	if b.State() != s360.BreakerClosed {
		t.Fatal("a successful probe must close the breaker")
	}
}
