package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/bench/load"
)

// With -alternate the pushes go on in windows of that length, the pruner
// running in every other one only, so that the windows with and without
// pruning see the same database as it grows under the load: a run before
// and a run after the pruning compare a young database with an old one.

// gate holds the pruner between two batches while it is closed.
type gate struct {
	mu   sync.Mutex
	open bool
	wake chan struct{} // closed when the gate opens
}

func newGate(open bool) *gate {
	g := &gate{open: open, wake: make(chan struct{})}
	if open {
		close(g.wake)
	}
	return g
}

func (g *gate) set(open bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case open == g.open:
	case open:
		close(g.wake)
	default:
		g.wake = make(chan struct{})
	}
	g.open = open
}

// wait returns once the gate is open, or ctx's error.
func (g *gate) wait(ctx context.Context) error {
	g.mu.Lock()
	wake := g.wake
	g.mu.Unlock()
	select {
	case <-wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// alternate pushes in windows of o.alternate, opening the gate for the
// pruner in every other one, from the first, until pruning ends (which
// ends its window early); one window without pruning follows. Pushes of
// pruning windows go to m.during, the others to m.off.
func (m *measurement) alternate(ctx, pruning context.Context, o options, target load.Target, gen *load.Generator, g *gate) error {
	for on := true; ; on = !on {
		parent := ctx
		if on {
			parent = pruning
		}
		g.set(on)
		w, cancel := context.WithTimeout(parent, o.alternate)
		r, err := load.SendFrom(w, target, o.senders, payloads(w, gen, o.size, o.maxPayloads))
		cancel()
		if err != nil && w.Err() == nil {
			return err
		}
		if on {
			m.during = merged(m.during, r)
			m.windows++
		} else {
			m.off = merged(m.off, r)
		}
		if !on && pruning.Err() != nil {
			return nil
		}
	}
}

// merged is a and b's pushes as one result.
func merged(a, b load.Result) load.Result {
	a.Senders = b.Senders
	a.Payloads += b.Payloads
	a.Docs += b.Docs
	a.Elapsed += b.Elapsed
	a.Latencies = append(a.Latencies, b.Latencies...)
	if a.ByStream == nil {
		a.ByStream = map[usher.Stream][]time.Duration{}
	}
	for s, l := range b.ByStream {
		a.ByStream[s] = append(a.ByStream[s], l...)
	}
	return a
}

// printAlternate is the table of a run with -alternate: the pushes of
// the windows with pruning against those without.
func printAlternate(w io.Writer, o options, ms []measurement) {
	fmt.Fprintf(w, "\nWindows of %s, pruning in every other one:\n\n", o.alternate)
	fmt.Fprintln(w, "| engine | pruning windows | pruned | rows/s while pruning | payloads pruning / not | p99 pruning ms | p99 not ms | pruning / not |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|---:|---:|---:|")
	for _, m := range ms {
		on, off := load.Millis(load.Percentile(m.during.Latencies, 99)), load.Millis(load.Percentile(m.off.Latencies, 99))
		fmt.Fprintf(w, "| %s | %d | %d | %.0f | %d / %d | %.1f | %.1f | %+.0f%% |\n", m.engine, m.windows, m.pruned,
			float64(m.pruned)/m.during.Elapsed.Seconds(), m.during.Payloads, m.off.Payloads, on, off, 100*(on/off-1))
	}
}
