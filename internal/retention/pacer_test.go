package retention_test

import (
	"context"
	"testing"
	"time"

	"github.com/usher-hub/usher/internal/retention"
)

// waits records what a pacer asked to sleep, instead of sleeping.
type waits struct{ asked []time.Duration }

func (w *waits) sleep(_ context.Context, d time.Duration) error {
	w.asked = append(w.asked, d)
	return nil
}

func (w *waits) total() (t time.Duration) {
	for _, d := range w.asked {
		t += d
	}
	return t
}

// While pushes are busy a batch is followed by a wait that leaves the
// batches' hold on the database Share of the time, its wait for the
// database counting as waited, within the bounds; when pushes are not
// busy, by none.
func TestPacerWaitsForTheDutyCycleOnlyWhileBusy(t *testing.T) {
	busy := true
	var w waits
	p := &retention.Pacer{Share: 0.1, MinWait: 5 * time.Millisecond, MaxWait: time.Second,
		Busy: func() bool { return busy }, Sleep: w.sleep}
	for _, c := range []struct{ held, took, want time.Duration }{
		{20 * time.Millisecond, 20 * time.Millisecond, 180 * time.Millisecond}, // 20 ms of every 200
		{20 * time.Millisecond, 150 * time.Millisecond, 50 * time.Millisecond}, // queued 130 ms of the 200
		{20 * time.Millisecond, 0, 180 * time.Millisecond},                     // took unknown: held
		{100 * time.Microsecond, 100 * time.Microsecond, 5 * time.Millisecond}, // at least MinWait
		{10 * time.Millisecond, time.Second, 5 * time.Millisecond},             // queued longer than a cycle
		{500 * time.Millisecond, 500 * time.Millisecond, time.Second},          // at most MaxWait
	} {
		w.asked = nil
		if err := p.Wait(context.Background(), c.held, c.took); err != nil {
			t.Fatal(err)
		}
		if w.total() != c.want {
			t.Errorf("after a batch that held %s of %s: waited %s in %v, want %s", c.held, c.took, w.total(), w.asked, c.want)
		}
	}
	busy, w.asked = false, nil
	if err := p.Wait(context.Background(), 20*time.Millisecond, 20*time.Millisecond); err != nil || len(w.asked) != 0 {
		t.Fatalf("not busy: waited %v (%v), want no wait", w.asked, err)
	}
}

// A wait ends once pushes stop being busy.
func TestPacerStopsWaitingWhenPushesQuieten(t *testing.T) {
	var w waits
	p := &retention.Pacer{Share: 0.1, MaxWait: time.Second, Sleep: w.sleep,
		Busy: func() bool { return len(w.asked) < 3 }}
	if err := p.Wait(context.Background(), 50*time.Millisecond, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if len(w.asked) != 3 || w.total() >= 450*time.Millisecond {
		t.Fatalf("waited %v: want three slices, then pushes were quiet", w.asked)
	}
}

// A share of 1 (or none set) never waits; a cancelled context stops.
func TestPacerEdges(t *testing.T) {
	var w waits
	always := func() bool { return true }
	for _, share := range []float64{0, 1} {
		p := &retention.Pacer{Share: share, MinWait: time.Millisecond, Busy: always, Sleep: w.sleep}
		if err := p.Wait(context.Background(), time.Second, time.Second); err != nil || len(w.asked) != 0 {
			t.Fatalf("share %v: waited %v (%v)", share, w.asked, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := &retention.Pacer{Share: 0.5, Busy: always, Sleep: w.sleep}
	if err := p.Wait(ctx, time.Second, time.Second); err != context.Canceled {
		t.Fatalf("cancelled: %v", err)
	}
}
