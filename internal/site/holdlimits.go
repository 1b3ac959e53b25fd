package site

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/httpapi"
)

// HoldLimits bound what visitors can hold, so that a few anonymous
// requests cannot take a whole session off sale (issue 16: ten requests
// held all 100 tickets of a session, renewable every 15 minutes). Zero
// values take DefaultHoldLimits.
type HoldLimits struct {
	// MaxTicketsPerVisitor caps the tickets one visitor holds at once,
	// over all sessions of an institution.
	MaxTicketsPerVisitor int
	// MaxTicketsPerAddress caps the tickets held at once by storefront
	// visitors from one client address (a /64 for IPv6): a visitor who
	// throws away the cookie is still one address.
	MaxTicketsPerAddress int
	// NewHoldsPerAddress new holds (not changes) are allowed from one
	// client address in any NewHoldsWindow.
	NewHoldsPerAddress int
	NewHoldsWindow     time.Duration
	// MaxLifetime is how long after its creation a hold may still run: a
	// change or renewal that would keep it beyond is refused, so tickets
	// go back on sale whatever the visitor does.
	MaxLifetime time.Duration
}

// DefaultHoldLimits: two full holds per visitor or address, ten new holds
// per address in ten minutes, an hour at most (four renewals of the
// default 15-minute hold).
var DefaultHoldLimits = HoldLimits{
	MaxTicketsPerVisitor: 2 * MaxTicketsPerHold, MaxTicketsPerAddress: 2 * MaxTicketsPerHold,
	NewHoldsPerAddress: 10, NewHoldsWindow: 10 * time.Minute, MaxLifetime: time.Hour,
}

func (l HoldLimits) withDefaults() HoldLimits {
	d := DefaultHoldLimits
	if l.MaxTicketsPerVisitor > 0 {
		d.MaxTicketsPerVisitor = l.MaxTicketsPerVisitor
	}
	if l.MaxTicketsPerAddress > 0 {
		d.MaxTicketsPerAddress = l.MaxTicketsPerAddress
	}
	if l.NewHoldsPerAddress > 0 {
		d.NewHoldsPerAddress = l.NewHoldsPerAddress
	}
	if l.NewHoldsWindow > 0 {
		d.NewHoldsWindow = l.NewHoldsWindow
	}
	if l.MaxLifetime > 0 {
		d.MaxLifetime = l.MaxLifetime
	}
	return d
}

type clientAddressKey struct{}

// WithClientAddress marks ctx as a request from a visitor's own browser at
// addr (the storefront), so the per-address limits apply. Requests of a
// venue's website (API key) carry no visitor address; only the per
// visitor limits and the lifetime apply to them.
func WithClientAddress(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddressKey{}, addr)
}

func clientAddressFrom(ctx context.Context) string {
	a, _ := ctx.Value(clientAddressKey{}).(string)
	return a
}

// holdLedger remembers, in memory, the holds placed through this process
// and who placed them: the store has no index by address, and a
// restart forgetting the counts only errs towards the visitor. Entries
// leave when their hold expires; holds released or sold earlier are
// found out by asking the store, only when a limit would refuse.
type holdLedger struct {
	limits  HoldLimits
	mu      sync.Mutex
	holds   map[string]*ledgerEntry // by hold id, or a provisional key
	created map[string][]time.Time  // new holds by client address
	seq     int
}

type ledgerEntry struct {
	institution, visitor, addr string
	tickets                    int
	expires                    time.Time
}

func newHoldLedger(l HoldLimits) *holdLedger {
	return &holdLedger{limits: l.withDefaults(), holds: map[string]*ledgerEntry{}, created: map[string][]time.Time{}}
}

// holdLease is a provisional place in the ledger for a hold being placed,
// so two requests at once cannot both fit under a cap; keep makes it the
// placed hold's, done drops it if keep was not called.
type holdLease struct {
	l    *holdLedger
	key  string
	kept bool
}

// admitHold checks req against the limits before anything is held
// upstream. existing is the visitor's current hold on the session.
func (s *Service) admitHold(ctx context.Context, institution string, req HoldRequest, existing *usher.Hold) (*holdLease, error) {
	l, now, addr := s.limits, s.now(), clientAddressFrom(ctx)
	want := usher.Hold{Lines: req.Tickets}.Quantity()
	if existing != nil && now.Add(s.opts.HoldTTL).After(existing.CreatedAt.Add(l.limits.MaxLifetime)) {
		return nil, usher.Errorf(usher.ECONFLICT, "this hold was placed at %s and cannot run past %s: check out, or release it and hold again",
			existing.CreatedAt.UTC().Format(time.RFC3339), l.limits.MaxLifetime)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	if existing == nil && addr != "" {
		if err := l.rate(addr, now); err != nil {
			return nil, err
		}
	}
	skip := ""
	if existing != nil {
		skip = existing.ID
	}
	if err := l.fits(ctx, s, institution, req.Visitor, addr, skip, want, now); err != nil {
		return nil, err
	}
	l.seq++
	key := fmt.Sprintf("pending-%d", l.seq)
	l.holds[key] = &ledgerEntry{institution: institution, visitor: req.Visitor, addr: addr, tickets: want, expires: now.Add(time.Minute)}
	if existing == nil && addr != "" {
		l.created[addr] = append(l.created[addr], now)
	}
	return &holdLease{l: l, key: key}, nil
}

// fits checks the caps; over one, it first drops entries whose hold the
// store says is no longer active (released, sold), then checks again.
// Called with l.mu held; it is released around the store reads.
func (l *holdLedger) fits(ctx context.Context, s *Service, institution, visitor, addr, skip string, want int, now time.Time) error {
	for attempt := 0; ; attempt++ {
		byVisitor, byAddr := l.held(institution, visitor, addr, skip)
		over := byVisitor+want > l.limits.MaxTicketsPerVisitor || (addr != "" && byAddr+want > l.limits.MaxTicketsPerAddress)
		if !over {
			return nil
		}
		if attempt > 0 {
			if byVisitor+want > l.limits.MaxTicketsPerVisitor {
				return &usher.Error{Code: usher.ECONFLICT, Message: fmt.Sprintf("you already hold %d tickets; at most %d may be held at once", byVisitor, l.limits.MaxTicketsPerVisitor),
					Detail: map[string]int{"held": byVisitor, "limit": l.limits.MaxTicketsPerVisitor}}
			}
			return &usher.Error{Code: usher.ECONFLICT, Message: fmt.Sprintf("%d tickets are already held from your network; at most %d may be held at once", byAddr, l.limits.MaxTicketsPerAddress),
				Detail: map[string]int{"held": byAddr, "limit": l.limits.MaxTicketsPerAddress}}
		}
		l.mu.Unlock()
		gone := l.settled(ctx, s, institution, visitor, addr)
		l.mu.Lock()
		for _, id := range gone {
			delete(l.holds, id)
		}
	}
}

// held sums the tickets held by visitor (at institution) and from addr.
func (l *holdLedger) held(institution, visitor, addr, skip string) (byVisitor, byAddr int) {
	for id, e := range l.holds {
		if id == skip {
			continue
		}
		if e.institution == institution && e.visitor == visitor {
			byVisitor += e.tickets
		}
		if addr != "" && e.addr == addr {
			byAddr += e.tickets
		}
	}
	return byVisitor, byAddr
}

// settled returns the ledger's holds of visitor or addr that the store
// no longer has active.
func (l *holdLedger) settled(ctx context.Context, s *Service, institution, visitor, addr string) []string {
	l.mu.Lock()
	var ids []string
	insts := map[string]string{}
	for id, e := range l.holds {
		if (e.institution == institution && e.visitor == visitor) || (addr != "" && e.addr == addr) {
			if len(id) < 8 || id[:8] != "pending-" {
				ids = append(ids, id)
				insts[id] = e.institution
			}
		}
	}
	l.mu.Unlock()
	var gone []string
	for _, id := range ids {
		h, err := s.store.FindHold(ctx, insts[id], id)
		if usher.ErrorCode(err) == usher.ENOTFOUND || (err == nil && h.Status != usher.HoldActive) {
			gone = append(gone, id)
		}
	}
	return gone
}

// rate refuses a new hold from addr beyond NewHoldsPerAddress in the window.
func (l *holdLedger) rate(addr string, now time.Time) error {
	times := l.created[addr]
	if len(times) < l.limits.NewHoldsPerAddress {
		return nil
	}
	wait := times[len(times)-l.limits.NewHoldsPerAddress].Add(l.limits.NewHoldsWindow).Sub(now)
	secs := max(int64((wait+time.Second-1)/time.Second), 1)
	return &usher.Error{Code: httpapi.ETOOMANY,
		Message: fmt.Sprintf("too many new holds from your network: at most %d in %s, try again in %d s", l.limits.NewHoldsPerAddress, l.limits.NewHoldsWindow, secs),
		Detail:  map[string]int64{"retry_after_seconds": secs}}
}

// sweep drops expired holds and creation times outside the window.
func (l *holdLedger) sweep(now time.Time) {
	for id, e := range l.holds {
		if !now.Before(e.expires) {
			delete(l.holds, id)
		}
	}
	for addr, times := range l.created {
		i := 0
		for i < len(times) && !now.Before(times[i].Add(l.limits.NewHoldsWindow)) {
			i++
		}
		if i == len(times) {
			delete(l.created, addr)
		} else {
			l.created[addr] = times[i:]
		}
	}
}

// keep records h, now placed, in place of the lease.
func (lease *holdLease) keep(h usher.Hold) {
	l := lease.l
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.holds[lease.key]
	delete(l.holds, lease.key)
	if e != nil {
		e.tickets, e.expires = h.Quantity(), h.ExpiresAt
		l.holds[h.ID] = e
	}
	lease.kept = true
}

// done drops the lease if the hold was not placed.
func (lease *holdLease) done() {
	if lease.kept {
		return
	}
	lease.l.mu.Lock()
	delete(lease.l.holds, lease.key)
	lease.l.mu.Unlock()
}
