package s360

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/usher-hub/usher"
)

// VenueConfig describes the simulated venue. The same configuration always
// produces the same documents, whatever the push schedule.
type VenueConfig struct {
	// Seed makes the venue reproducible.
	Seed uint64
	// Start is the first day of activity (its date in Location).
	Start time.Time
	// Scale multiplies the daily volumes; 1 (the default) is a mid-size
	// museum: about 70 new contacts, 115 orders and 250 visitors an open day.
	Scale float64
	// Location is the venue's time zone: access times are its wall clock.
	// Default: UTC+1 (a central-European venue in winter), fixed so that a
	// machine without time-zone data generates the same documents.
	Location *time.Location
	// Currency is the order currency code. Default CHF.
	Currency string
}

// Event is one document the venue produced, as S-360 would queue it.
type Event struct {
	Stream     usher.Stream
	ExternalID string
	// At is when the document entered S-360's queue: a contact's
	// lastUpdateDate, an order's closing (or abandonment) time, a check's
	// access time.
	At time.Time
	// Created is what the first-time synchronisation cutoff is compared
	// with: lastUpdateDate for contacts, creationDateTime for orders and
	// access_time for checks.
	Created time.Time
	// Raw is the payload item exactly as pushed.
	Raw json.RawMessage
}

// Venue generates a museum's activity day by day. It is safe for
// concurrent use.
type Venue struct {
	mu       sync.Mutex
	cfg      VenueConfig
	rng      *rand.Rand
	next     time.Time // local midnight of the next day to generate
	pending  []Event   // generated, not yet returned by Until, sorted by At
	dayOut   []Event   // events of the day being generated
	ids      idCounters
	contacts []*contact
	byNumber map[string]*contact
	// handedOut is the latest time Until was asked for: what happened up
	// to it has left the venue for the push queues.
	handedOut time.Time
	tickets   map[string][]*ticket // visit day → valid tickets for it
	sales     []*sale              // sales that can still be refunded
}

// idCounters hand out S-360-like ids: large integers in separate ranges.
type idCounters struct {
	contact, order, operation, movement, ticket, check int64
}

// newIDCounters starts each range at an offset given by the venue's first
// day, so venues started on different days (a demo run again the next
// day on the same database) never reuse each other's ids.
func newIDCounters(start time.Time) idCounters {
	day := int64(start.Sub(epoch2000).Hours() / 24)
	return idCounters{
		contact:   3346000 + day*10000,
		order:     10000700000 + day*100000,
		operation: 10228700000000 + day*1000000,
		movement:  10228800000000 + day*1000000,
		ticket:    10228900000000 + day*1000000,
		check:     10229000000000 + day*1000000,
	}
}

// NewVenue returns a venue whose history starts at cfg.Start.
func NewVenue(cfg VenueConfig) *Venue {
	if cfg.Scale <= 0 {
		cfg.Scale = 1
	}
	if cfg.Location == nil {
		cfg.Location = time.FixedZone("UTC+1", 3600)
	}
	if cfg.Currency == "" {
		cfg.Currency = "CHF"
	}
	start := cfg.Start.In(cfg.Location)
	first := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, cfg.Location)
	return &Venue{
		cfg:      cfg,
		rng:      rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed5360)),
		next:     first,
		ids:      newIDCounters(first),
		byNumber: map[string]*contact{},
		tickets:  map[string][]*ticket{},
	}
}

// Until returns, in time order, every event that happened up to t and was
// not returned by an earlier call.
func (v *Venue) Until(t time.Time) []Event {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.advance(t)
	n := sort.Search(len(v.pending), func(i int) bool { return v.pending[i].At.After(t) })
	out := v.pending[:n:n]
	v.pending = append([]Event(nil), v.pending[n:]...)
	if t.After(v.handedOut) {
		v.handedOut = t
	}
	v.renderShared(out)
	return out
}

// advance generates every day that has begun by t. What is generated
// never depends on when it is asked for.
func (v *Venue) advance(t time.Time) {
	for !v.next.After(t) {
		v.generateDay(v.next)
		v.next = v.next.AddDate(0, 0, 1)
	}
}

// LatestContacts returns the current version of every contact generated
// so far: what S-360's Contact API would answer.
func (v *Venue) LatestContacts() []json.RawMessage {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]json.RawMessage, 0, len(v.contacts))
	for _, c := range v.contacts {
		out = append(out, c.raw)
	}
	return out
}

// generateDay simulates one day: the day's actions in time order, then the
// gate's checks of the tickets valid that day.
func (v *Venue) generateDay(day time.Time) {
	v.dayOut = v.dayOut[:0]
	actions := v.planDay(day)
	sort.SliceStable(actions, func(i, j int) bool { return actions[i].at.Before(actions[j].at) })
	for _, a := range actions {
		a.do(a.at)
	}
	v.checkDay(day)
	v.pruneSales(day)
	v.pending = append(v.pending, v.dayOut...)
	sort.SliceStable(v.pending, func(i, j int) bool { return v.pending[i].At.Before(v.pending[j].At) })
}

// action is one thing that happens at a moment of the day.
type action struct {
	at time.Time
	do func(at time.Time)
}

func (v *Venue) planDay(day time.Time) []action {
	var acts []action
	add := func(n int, from, to float64, do func(time.Time)) {
		for range n {
			acts = append(acts, action{at: v.timeBetween(day, from, to), do: do})
		}
	}
	add(v.volume(day, 12), 6, 23.9, func(at time.Time) { v.newContact(at, v.rng.Float64() < 0.1) })
	add(v.volume(day, 15), 7, 23, v.updateRandomContact)
	add(v.volume(day, 55), 7, 23, v.webOrder)
	add(v.volume(day, 3), 8, 22, v.refund)
	if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
		add(v.volume(day, 8), 8, 17, v.groupOrder)
	}
	if v.isOpen(day) {
		for range v.volume(day, 40) {
			acts = append(acts, action{at: v.arrival(day), do: v.boxOfficeSale})
		}
	}
	return acts
}

// volume draws how many times something that happens base times on an
// ordinary day happens on day: scaled, busier at weekends, and varying.
func (v *Venue) volume(day time.Time, base float64) int {
	mean := base * v.cfg.Scale
	if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
		mean *= 1.5
	}
	return int(mean*(0.75+0.5*v.rng.Float64()) + v.rng.Float64())
}

// Opening hours: 10:00 to 18:00, closed on Mondays, as many museums are.
const (
	openingHour = 10
	closingHour = 18
)

func (v *Venue) isOpen(day time.Time) bool { return day.Weekday() != time.Monday }

// timeBetween draws a moment of day between two hours (fractions allowed),
// to the millisecond.
func (v *Venue) timeBetween(day time.Time, fromHour, toHour float64) time.Time {
	ms := (fromHour + (toHour-fromHour)*v.rng.Float64()) * 3600 * 1000
	return day.Add(time.Duration(ms) * time.Millisecond)
}

// arrival draws when a party reaches the gate: a third come in the busy
// first hour after opening, most of them right at opening time.
func (v *Venue) arrival(day time.Time) time.Time {
	if v.rng.Float64() < 0.35 {
		u := v.rng.Float64()
		return day.Add(openingHour*time.Hour + time.Duration(u*u*float64(time.Hour)))
	}
	return v.timeBetween(day, openingHour+1, closingHour-1)
}

func (v *Venue) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(v.rng.Int64N(int64(hi-lo)+1))
}

func (v *Venue) emit(stream usher.Stream, id string, at, created time.Time, doc any) json.RawMessage {
	raw, err := json.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("s360: marshal %s %s: %v", stream, id, err)) // our own structs always marshal
	}
	v.dayOut = append(v.dayOut, Event{Stream: stream, ExternalID: id, At: at, Created: created, Raw: raw})
	return raw
}

func dayKey(day time.Time) string { return day.Format("2006-01-02") }

// isoTime formats t as S-360's webhooks do: UTC with milliseconds.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000+00:00") }

// localTime formats t as the data-export query does: the venue's wall
// clock, no zone.
func localTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04:05")
}

func (v *Venue) pick(n int) int { return v.rng.IntN(n) }

func (v *Venue) chance(p float64) bool { return v.rng.Float64() < p }

// AddExternal records a document written through S-360's API (the API
// stand-in shares this venue): it is queued like the venue's own, at at,
// so the next run of its stream pushes it.
func (v *Venue) AddExternal(stream usher.Stream, id string, at time.Time, raw json.RawMessage) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.insertPending(Event{Stream: stream, ExternalID: id, At: at, Created: at, Raw: raw})
}
