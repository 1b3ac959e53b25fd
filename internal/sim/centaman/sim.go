// Package centaman is a stand-in for a venue's Centaman system, speaking
// the same wire format as the real REST API (ticket_services and
// member_services, Basic auth, PascalCase JSON, {"Message": …} errors):
// timed events with capacity and vacancy, holds that expire, transactions
// with a barcode per ticket, members and memberships. It adds what tests
// and demos need: an injectable clock, latency, outages and stalls on
// demand, and counters to check that nothing was sold twice.
//
// State is in memory and guarded by one mutex, so every operation,
// holds and sales included, is atomic: the simulator never oversells.
package centaman

import (
	"fmt"
	"sync"
	"time"
)

// DefaultHoldTTL is how long the simulator keeps a hold. Real Centaman
// drops expired holds from a periodic Windows service; the venue sets it.
const DefaultHoldTTL = 20 * time.Minute

// Options configures a simulator.
type Options struct {
	// Username and Password are the Basic credentials every call but
	// Diagnostics must carry.
	Username string
	Password string
	// Now is the simulator's clock; time.Now when nil.
	Now func() time.Time
	// HoldTTL is how long a hold lasts; DefaultHoldTTL when zero.
	HoldTTL time.Duration
	// Latency is added to every answer, as a hosted Centaman would.
	Latency time.Duration
	// Seed makes the generated venue reproducible.
	Seed int64
	// FirstDay and Days set the generated sessions: Days days from
	// FirstDay (Now's day when zero). Days defaults to 30.
	FirstDay time.Time
	Days     int
	// UndocumentedLookups serves GET ticket_services/TimedTicketTransaction
	// ?PaymentReference=, a lookup Centaman does not document. Off by
	// default: the simulator then answers 404 like any unknown route, and
	// counts the call (UndocumentedCalls), so tests prove usher does not
	// depend on it.
	UndocumentedLookups bool
}

// Sim is a running Centaman stand-in. Create it with New.
type Sim struct {
	opts Options
	now  func() time.Time

	mu              sync.Mutex
	nextID          int64
	bookingTypes    []*bookingType
	sessions        map[int64]*session
	sessionOrder    []int64
	holds           []*hold
	contacts        map[int64]contact
	bookings        []booking
	members         map[int64]*member
	memberOrder     []int64
	membershipTypes []membershipType
	outage          Outage
	stalls          map[string]chan struct{}
	drops           map[string]int
	calls           map[string]int
	undocumented    []string
	extras          map[int64][]extra // by booking type
	general         []generalTicket
	generalSales    []generalSale
}

// New returns a simulator with a generated venue.
func New(opts Options) *Sim {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HoldTTL <= 0 {
		opts.HoldTTL = DefaultHoldTTL
	}
	if opts.Days <= 0 {
		opts.Days = 30
	}
	if opts.FirstDay.IsZero() {
		opts.FirstDay = opts.Now()
	}
	s := &Sim{
		opts: opts, now: opts.Now, nextID: 1000,
		sessions: map[int64]*session{}, contacts: map[int64]contact{}, members: map[int64]*member{},
		stalls: map[string]chan struct{}{}, drops: map[string]int{}, calls: map[string]int{}, extras: map[int64][]extra{},
	}
	s.generate()
	return s
}

// bookingType is an event family with its sessions' shape and prices.
type bookingType struct {
	ID          int64
	Description string
	Capacity    int
	Times       [][2]string // start, end
	Weekdays    []time.Weekday
	Prices      []price
}

type price struct {
	TicketID    int64
	Description string
	Price       float64
}

// session is one timed ticket type: a dated slot with capacity.
type session struct {
	ID          int64
	BookingType *bookingType
	Day         string
	Start, End  string
	Capacity    int
	Sold        int
	Cancelled   bool
}

// hold is an anonymous count of spots, as Centaman keeps them.
type hold struct {
	SessionID int64
	TicketID  int64
	Count     int
	ExpiresAt time.Time
}

type contact struct {
	MemberCode                 int64
	FirstName, LastName, Email string
}

type booking struct {
	BookingID        int64
	PaymentReference string
	ContactID        int64
	Tickets, Extras  int
	TotalPaid        float64
	Raw              map[string]any
}

func (s *Sim) newID() int64 {
	s.nextID++
	return s.nextID
}

// vacancyLocked is capacity minus sold minus unexpired holds.
func (s *Sim) vacancyLocked(ss *session) int {
	return ss.Capacity - ss.Sold - s.heldLocked(ss.ID, 0)
}

// heldLocked counts unexpired held spots of a session (of one price line
// when ticketID is not 0).
func (s *Sim) heldLocked(sessionID, ticketID int64) int {
	now := s.now()
	n := 0
	for _, h := range s.holds {
		if h.SessionID == sessionID && (ticketID == 0 || h.TicketID == ticketID) && now.Before(h.ExpiresAt) {
			n += h.Count
		}
	}
	return n
}

// Sold returns how many tickets of a session were sold.
func (s *Sim) Sold(sessionID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.sessions[sessionID]; ok {
		return ss.Sold
	}
	return 0
}

// Vacancy returns a session's vacancy now.
func (s *Sim) Vacancy(sessionID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.sessions[sessionID]; ok {
		return s.vacancyLocked(ss)
	}
	return 0
}

// Held returns a session's unexpired held spots.
func (s *Sim) Held(sessionID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.heldLocked(sessionID, 0)
}

// SetCapacity changes a session's capacity, for tests that need the last
// ticket.
func (s *Sim) SetCapacity(sessionID int64, capacity int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[sessionID]
	if !ok {
		return fmt.Errorf("no session %d", sessionID)
	}
	ss.Capacity = capacity
	return nil
}

// Bookings returns the number of recorded transactions.
func (s *Sim) Bookings() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bookings)
}

// Calls returns how many requests reached an operation (such as
// "TimedTicketType GET"), so tests can see what usher asked for.
func (s *Sim) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// SessionOn describes a generated session, for tests and demos.
type SessionOn struct {
	ID          int64
	BookingType string
	Day         string
	Start       string
	Capacity    int
	TicketIDs   []int64
}

// Sessions lists the generated sessions of a day (YYYY-MM-DD).
func (s *Sim) Sessions(day string) []SessionOn {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SessionOn
	for _, id := range s.sessionOrder {
		ss := s.sessions[id]
		if ss.Day != day {
			continue
		}
		on := SessionOn{ID: ss.ID, BookingType: ss.BookingType.Description, Day: ss.Day, Start: ss.Start, Capacity: ss.Capacity}
		for _, p := range ss.BookingType.Prices {
			on.TicketIDs = append(on.TicketIDs, p.TicketID)
		}
		out = append(out, on)
	}
	return out
}

// Sale describes a recorded timed transaction, for tests.
type Sale struct {
	BookingID        int64
	PaymentReference string
	// ContactID is the BookingContactID: a booking contact's or a
	// member's MemberCode.
	ContactID int64
	Tickets   int
	Extras    int
	TotalPaid float64
}

// Sales lists the recorded timed transactions, oldest first.
func (s *Sim) Sales() []Sale {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Sale, 0, len(s.bookings))
	for _, b := range s.bookings {
		out = append(out, Sale{BookingID: b.BookingID, PaymentReference: b.PaymentReference, ContactID: b.ContactID,
			Tickets: b.Tickets, Extras: b.Extras, TotalPaid: b.TotalPaid})
	}
	return out
}

// UndocumentedCalls lists the requests ("GET /CENTAMAN.API/…") that asked
// for something Centaman does not document, in order.
func (s *Sim) UndocumentedCalls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.undocumented...)
}
