package s360api

import (
	"time"
)

// instance is one institution's state.
type instance struct {
	Institution
	contacts     map[string]map[string]any
	identifiers  map[string]string // caller's identifier → contact number (kept for tests)
	identifierOf map[string]string // contact number → caller's identifier
	orders       []map[string]any
	orderByID    map[string]map[string]any
	// changed lists contact numbers changed since their last push, in
	// change order, each once.
	changed    []string
	isChanged  map[string]bool
	revision   map[string]int // changes per contact, to tell a re-change during a push
	nextNumber int64
	nextOrder  int64
	replies    map[string]map[string]any // idempotency key → first answer
	windows    map[string][]time.Time    // accepted calls still inside the rate window, by budget
	stats      Stats
}

func newInstance(inst Institution) *instance {
	return &instance{
		Institution:  inst,
		contacts:     map[string]map[string]any{},
		identifiers:  map[string]string{},
		identifierOf: map[string]string{},
		orderByID:    map[string]map[string]any{},
		isChanged:    map[string]bool{},
		revision:     map[string]int{},
		nextNumber:   5000001,
		nextOrder:    10000800001,
		replies:      map[string]map[string]any{},
		windows:      map[string][]time.Time{},
		stats:        Stats{ByMethod: map[string]int{}, Keys: map[string]int{}},
	}
}

// Stats is what the simulator saw of one institution.
type Stats struct {
	// Calls counts calls admitted by the rate limit.
	Calls int
	// Throttled counts calls refused for the rate limit.
	Throttled int
	// Refused counts calls refused by a fault: down, or a simulated failure.
	Refused  int
	ByMethod map[string]int
	// Applied counts writes that changed something (not replays).
	Applied int
	// Replays counts writes answered from an earlier call's idempotency key
	// (only with Config.HonourIdempotencyKey).
	Replays int
	// Lost counts applied writes whose answer was dropped.
	Lost int
	// Keys counts applied writes per idempotency key: each should be 1.
	Keys map[string]int
	// MaxInWindow is the most admitted calls any rate window held.
	MaxInWindow int
	// First and Last are the times of the first and last admitted call.
	First, Last time.Time
	// Pushed counts contacts pushed through the contact webhook.
	Pushed int
}

func (st *Stats) count(method string, now time.Time) {
	if st.Calls == 0 {
		st.First = now
	}
	st.Calls++
	st.Last = now
	st.ByMethod[method]++
}

// admit applies the sliding-window rate limit of one budget (the
// instance's, "", or a service's): a call is admitted when fewer than
// limit calls were admitted in the window before it. When it is not, wait
// is how long until the oldest of them leaves the window.
func (in *instance) admit(budget string, now time.Time, limit int, window time.Duration) (wait time.Duration, ok bool) {
	w := in.windows[budget]
	cutoff := now.Add(-window)
	drop := 0
	for drop < len(w) && !w[drop].After(cutoff) {
		drop++
	}
	w = w[drop:]
	if len(w) >= limit {
		in.windows[budget] = w
		return w[0].Sub(cutoff), false
	}
	w = append(w, now)
	in.windows[budget] = w
	in.stats.MaxInWindow = max(in.stats.MaxInWindow, len(w))
	return 0, true
}

func (in *instance) markChanged(number string) {
	in.revision[number]++
	if !in.isChanged[number] {
		in.isChanged[number] = true
		in.changed = append(in.changed, number)
	}
}

// Stats returns a copy of what the simulator saw of institution code.
func (s *Sim) Stats(code string) Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.insts[code]
	if !ok {
		return Stats{}
	}
	st := in.stats
	st.ByMethod = copyMap(in.stats.ByMethod)
	st.Keys = copyMap(in.stats.Keys)
	return st
}

func copyMap(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
