package analytics

import (
	"testing"
	"time"

	"github.com/usher-hub/usher"
)

// Pushes come first: a batch that left work goes on at once only when the
// queue is older than MaxLag.
func TestProjectorGoesOnOnlyWhenBehind(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	p := &Projector{cfg: ProjectorConfig{Interval: time.Second, Orders: 200, MaxLag: 10 * time.Second}, now: func() time.Time { return now }}
	at := func(age time.Duration) *time.Time { t := now.Add(-age); return &t }
	for _, c := range []struct {
		name string
		res  usher.Projection
		want bool
	}{
		{"nothing left", usher.Projection{}, false},
		{"a full batch, fresh queue", usher.Projection{Partial: true, Pending: 900, OldestPending: at(3 * time.Second)}, false},
		{"a full batch, queue older than MaxLag", usher.Projection{Partial: true, Pending: 900, OldestPending: at(11 * time.Second)}, true},
		{"an old queue the batch did not stop on", usher.Projection{Pending: 3, OldestPending: at(time.Minute)}, false},
		{"another replica projecting", usher.Projection{Busy: true}, false},
	} {
		if got := p.behind(c.res); got != c.want {
			t.Errorf("%s: behind = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestProjectorHoldsOffWhilePushesAreBusyForAFewTicks(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	busy := true
	p := &Projector{
		cfg: ProjectorConfig{Interval: time.Second, Orders: 200, MaxLag: 10 * time.Second, Busy: func() bool { return busy }},
		now: func() time.Time { return now },
	}
	for tick := range holdTicks {
		if !p.holdOff() {
			t.Fatalf("tick %d, %s after the first held: projected while pushes were busy", tick, now.Sub(p.heldSince))
		}
		now = now.Add(time.Second)
	}
	if p.holdOff() {
		t.Fatalf("still holding off %d ticks after the first: a sustained load would be projected in ever bigger batches", holdTicks)
	}
	// Never beyond MaxLag, whatever the interval.
	p.heldSince, p.cfg.Interval = time.Time{}, 5*time.Second
	if !p.holdOff() {
		t.Fatal("did not hold off a first busy tick")
	}
	now = now.Add(p.cfg.MaxLag)
	if p.holdOff() {
		t.Fatal("held off beyond MaxLag")
	}
	// A batch resets the hold; one that leaves the queue older than
	// MaxLag makes the next batches run whatever the pushes do.
	p.heldSince, p.behindNow = time.Time{}, true
	if p.holdOff() {
		t.Fatal("held off while the queue was older than MaxLag")
	}
	p.behindNow = false
	busy = false
	if p.holdOff() {
		t.Fatal("held off with no push waiting")
	}
	p.cfg.Busy = nil
	if p.holdOff() {
		t.Fatal("held off without a Busy signal")
	}
}
