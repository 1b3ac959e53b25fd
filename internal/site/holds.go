package site

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/upstream/centaman"
)

// MaxTicketsPerHold bounds one visitor's hold, as box offices do, so one
// visitor cannot hold a whole session.
const MaxTicketsPerHold = 20

// HoldRequest asks to hold tickets of one session for a visitor. A second
// request of the same visitor for the same session replaces the tickets
// and renews the hold.
type HoldRequest struct {
	Visitor string           `json:"visitor"`
	EventID int64            `json:"event_id"`
	Tickets []usher.HoldLine `json:"tickets"`
}

func (r HoldRequest) check() error {
	if err := checkVisitor(r.Visitor); err != nil {
		return err
	}
	if r.EventID <= 0 {
		return usher.Errorf(usher.EINVALID, "event_id must be a session id from GET …/events")
	}
	if len(r.Tickets) == 0 {
		return usher.Errorf(usher.EINVALID, "tickets must list at least one {ticket_id, quantity}")
	}
	seen, total := map[int64]bool{}, 0
	for _, l := range r.Tickets {
		if l.Quantity <= 0 || seen[l.TicketID] {
			return usher.Errorf(usher.EINVALID, "each ticket_id must appear once with a quantity of at least 1")
		}
		seen[l.TicketID] = true
		total += l.Quantity
	}
	if total > MaxTicketsPerHold {
		return usher.Errorf(usher.EINVALID, "a hold may have at most %d tickets, asked for %d", MaxTicketsPerHold, total)
	}
	return nil
}

func checkVisitor(v string) error {
	if v == "" || len(v) > 128 {
		return usher.Errorf(usher.EINVALID, "visitor must be the website's id for the visitor, 1 to 128 characters")
	}
	return nil
}

// PlaceHold checks vacancy (read fresh from Centaman) and the visitor's
// current hold on the session, then creates a hold or replaces and renews
// the existing one, upstream first.
func (s *Service) PlaceHold(ctx context.Context, institution string, req HoldRequest) (usher.Hold, bool, error) {
	v, err := s.venue(institution)
	if err != nil {
		return usher.Hold{}, false, err
	}
	if err := req.check(); err != nil {
		return usher.Hold{}, false, err
	}
	session, prices, err := s.sessionFromCopy(ctx, institution, req.EventID)
	if err != nil {
		return usher.Hold{}, false, err
	}
	if err := checkTickets(req.Tickets, prices); err != nil {
		return usher.Hold{}, false, err
	}
	unlock := v.holdLocks.lock(fmt.Sprintf("%s/%d", req.Visitor, req.EventID))
	defer unlock()
	existing, err := s.currentHold(ctx, v, req.Visitor, req.EventID)
	if err != nil {
		return usher.Hold{}, false, err
	}
	lease, err := s.admitHold(ctx, v.Code, req, existing) // holdlimits.go
	if err != nil {
		s.metrics.Hold(v.Code, "limited")
		return usher.Hold{}, false, err
	}
	defer lease.done()
	fresh, err := s.refreshSession(ctx, v, req.EventID, session.Date(), "holding tickets")
	if err != nil {
		s.metrics.Hold(v.Code, "error")
		return usher.Hold{}, false, err
	}
	if err := checkVacancy(fresh, existing, req.Tickets); err != nil {
		s.metrics.Hold(v.Code, "refused")
		return usher.Hold{}, false, err
	}
	h, err := s.reserve(ctx, v, existing, req, fresh.Date())
	if err != nil {
		return usher.Hold{}, false, err
	}
	lease.keep(h)
	s.resyncAfter(ctx, v, h.EventID, h.EventDate)
	return h, existing == nil, nil
}

// sessionFromCopy reads a session and its prices from the local copy.
func (s *Service) sessionFromCopy(ctx context.Context, institution string, id int64) (centaman.TimedTicketType, []centaman.TimedTicket, error) {
	var t centaman.TimedTicketType
	key := strconv.FormatInt(id, 10)
	docs, err := s.store.FindDocuments(ctx, usher.DocumentFilter{Institution: institution, Stream: usher.StreamCentamanTimedTicketType, ExternalID: key})
	if err != nil {
		return t, nil, err
	}
	if len(docs) == 0 {
		return t, nil, usher.Errorf(usher.ENOTFOUND, "no session %d: pick one from GET …/events", id)
	}
	if err := json.Unmarshal(docs[0].Raw, &t); err != nil {
		return t, nil, fmt.Errorf("session %d in the copy: %w", id, err)
	}
	docs, err = s.store.FindDocuments(ctx, usher.DocumentFilter{Institution: institution, Stream: usher.StreamCentamanTimedTickets, ExternalID: key})
	if err != nil {
		return t, nil, err
	}
	var prices []centaman.TimedTicket
	if len(docs) > 0 {
		if err := json.Unmarshal(docs[0].Raw, &prices); err != nil {
			return t, nil, fmt.Errorf("prices of session %d in the copy: %w", id, err)
		}
	}
	return t, prices, nil
}

func checkTickets(lines []usher.HoldLine, prices []centaman.TimedTicket) error {
	for _, l := range lines {
		if findPrice(prices, l.TicketID) == nil {
			return usher.Errorf(usher.EINVALID, "ticket_id %d is not sold for this session", l.TicketID)
		}
	}
	return nil
}

func findPrice(prices []centaman.TimedTicket, id int64) *centaman.TimedTicket {
	for i := range prices {
		if prices[i].TicketID == id {
			return &prices[i]
		}
	}
	return nil
}

// currentHold returns the visitor's active hold on a session, expiring it
// first if its time is up.
func (s *Service) currentHold(ctx context.Context, v *venue, visitor string, eventID int64) (*usher.Hold, error) {
	h, err := s.store.ActiveHold(ctx, v.Code, visitor, eventID)
	if usher.ErrorCode(err) == usher.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !s.now().Before(h.ExpiresAt) {
		return nil, s.expire(ctx, v, h)
	}
	return &h, nil
}

// checkVacancy refuses a hold that the session cannot take: the visitor's
// own held tickets count as available to them.
func checkVacancy(t centaman.TimedTicketType, existing *usher.Hold, lines []usher.HoldLine) error {
	want := usher.Hold{Lines: lines}.Quantity()
	mine := 0
	if existing != nil {
		mine = existing.Quantity()
	}
	if t.Cancelled || t.IsBookedExclusively {
		return usher.Errorf(usher.ECONFLICT, "this session is not on sale")
	}
	if free := max(t.Vacancy, 0) + mine; want > free {
		if free == 0 {
			return &usher.Error{Code: usher.ECONFLICT, Message: "sold out", Detail: map[string]int{"available": 0}}
		}
		return &usher.Error{Code: usher.ECONFLICT, Message: onlyLeft(free), Detail: map[string]int{"available": free}}
	}
	return nil
}

// reserve holds the tickets in Centaman and records the hold. Centaman's
// holds are anonymous and cannot be renewed, so replacing one releases the
// old spots and holds the new ones; if the new hold fails the old one is
// taken again, so a refused change keeps what the visitor had.
func (s *Service) reserve(ctx context.Context, v *venue, existing *usher.Hold, req HoldRequest, day string) (usher.Hold, error) {
	now := s.now()
	newLines := toHoldLines(req.EventID, req.Tickets)
	if existing != nil {
		if err := s.upstreamErr(ctx, v, v.Client.Release(ctx, toHoldLines(existing.EventID, existing.Lines)), "changing your hold"); err != nil {
			return usher.Hold{}, err
		}
	}
	if err := s.upstreamErr(ctx, v, v.Client.Reserve(ctx, newLines), "holding tickets"); err != nil {
		s.metrics.Hold(v.Code, "refused")
		if existing != nil {
			return usher.Hold{}, s.restore(ctx, v, *existing, err)
		}
		return usher.Hold{}, soldOutIfRefused(err)
	}
	h := usher.Hold{ID: newHoldID(), Institution: v.Code, Visitor: req.Visitor, EventID: req.EventID, EventDate: day,
		CreatedAt: now}
	if existing != nil {
		h = *existing
	}
	h.Lines, h.Status, h.UpdatedAt = req.Tickets, usher.HoldActive, now
	h.ExpiresAt, h.UpstreamExpiresAt = now.Add(s.opts.HoldTTL), now.Add(v.UpstreamHoldTTL)
	if existing != nil {
		s.metrics.Hold(v.Code, "extended")
		return h, s.store.UpdateHold(ctx, h)
	}
	if err := s.store.CreateHold(ctx, h); err != nil {
		// Another request of this visitor won a race (another replica):
		// give back what this one took.
		s.releaseQuietly(ctx, v, newLines)
		return usher.Hold{}, err
	}
	s.metrics.Hold(v.Code, "created")
	return h, nil
}

// restore takes the visitor's old spots again after a refused change.
func (s *Service) restore(ctx context.Context, v *venue, old usher.Hold, cause error) error {
	err := v.Client.Reserve(ctx, toHoldLines(old.EventID, old.Lines))
	s.observe(ctx, v, err)
	if err == nil {
		old.ExpiresAt, old.UpstreamExpiresAt, old.UpdatedAt = s.now().Add(s.opts.HoldTTL), s.now().Add(v.UpstreamHoldTTL), s.now()
		if uerr := s.store.UpdateHold(ctx, old); uerr != nil {
			return uerr
		}
		return soldOutIfRefused(cause)
	}
	old.Status, old.UpdatedAt = usher.HoldReleased, s.now()
	if uerr := s.store.UpdateHold(ctx, old); uerr != nil {
		return uerr
	}
	if centaman.IsUnreachable(cause) {
		return cause
	}
	return &usher.Error{Code: usher.ECONFLICT, Err: cause,
		Message: "your hold could not be changed and its tickets were taken meanwhile: place a new hold"}
}

func soldOutIfRefused(err error) error {
	if usher.ErrorCode(err) == usher.ECONFLICT {
		return &usher.Error{Code: usher.ECONFLICT, Err: err, Message: "not enough tickets left for this hold: another visitor took them"}
	}
	return err
}

func toHoldLines(eventID int64, lines []usher.HoldLine) []centaman.HoldLine {
	out := make([]centaman.HoldLine, 0, len(lines))
	for _, l := range lines {
		out = append(out, centaman.HoldLine{TimedTicketTypeID: eventID, TimedTicketID: l.TicketID, NumberOfTickets: l.Quantity})
	}
	return out
}

func newHoldID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "hold_" + hex.EncodeToString(b)
}

// resyncAfter re-reads a session once an action changed it; the action
// already succeeded, so a failure here is only logged.
func (s *Service) resyncAfter(ctx context.Context, v *venue, id int64, day string) {
	if _, err := s.refreshSession(ctx, v, id, day, "re-syncing"); err != nil {
		s.logger.WarnContext(ctx, "re-sync after an action failed; the next sync catches up", "institution", v.Code, "session", id, "err", err)
	}
}

// GetHold returns a visitor's hold.
func (s *Service) GetHold(ctx context.Context, institution, id, visitor string) (usher.Hold, error) {
	if _, err := s.venue(institution); err != nil {
		return usher.Hold{}, err
	}
	h, err := s.visitorHold(ctx, institution, id, visitor)
	if err != nil {
		return usher.Hold{}, err
	}
	if h.Status == usher.HoldActive && !s.now().Before(h.ExpiresAt) {
		h.Status = usher.HoldExpired
	}
	return h, nil
}

// visitorHold returns a hold if it is the visitor's; another visitor's
// hold is not found, so ids cannot be probed. A database failure stays
// what it is (retryable), not "not found".
func (s *Service) visitorHold(ctx context.Context, institution, id, visitor string) (usher.Hold, error) {
	h, err := s.store.FindHold(ctx, institution, id)
	if err == nil && h.Visitor != visitor || usher.ErrorCode(err) == usher.ENOTFOUND {
		return usher.Hold{}, usher.Errorf(usher.ENOTFOUND, "no hold %q for this visitor", id)
	}
	return h, err
}

// ReleaseHold gives a visitor's held tickets back.
func (s *Service) ReleaseHold(ctx context.Context, institution, id, visitor string) (usher.Hold, error) {
	v, err := s.venue(institution)
	if err != nil {
		return usher.Hold{}, err
	}
	h, err := s.GetHold(ctx, institution, id, visitor)
	if err != nil || h.Status != usher.HoldActive {
		return h, err
	}
	unlock := v.holdLocks.lock(fmt.Sprintf("%s/%d", h.Visitor, h.EventID))
	defer unlock()
	// Read again under the lock: a checkout may have sold it (or sent its
	// sale) meanwhile, and then its spots are not the visitor's to give.
	if h, err = s.GetHold(ctx, institution, id, visitor); err != nil || h.Status != usher.HoldActive {
		return h, err
	}
	if err := s.upstreamErr(ctx, v, v.Client.Release(ctx, toHoldLines(h.EventID, h.Lines)), "releasing your hold"); err != nil {
		return h, err
	}
	h.Status, h.UpdatedAt = usher.HoldReleased, s.now()
	if err := s.store.UpdateHold(ctx, h); err != nil {
		return h, err
	}
	s.metrics.Hold(v.Code, "released")
	s.resyncAfter(ctx, v, h.EventID, h.EventDate)
	return h, nil
}

// ExpireHolds lets go of holds whose time is up, across institutions, and
// returns how many.
func (s *Service) ExpireHolds(ctx context.Context) (int, error) {
	holds, err := s.store.HoldsExpiredBy(ctx, s.now(), 200)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, h := range holds {
		v, ok := s.venues[h.Institution]
		if !ok {
			continue
		}
		if err := s.expire(ctx, v, h); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// expire marks a hold expired, releasing its spots in Centaman while
// Centaman still holds them. After Centaman's own expiry the spots are
// gone already, and releasing would free another visitor's anonymous hold.
func (s *Service) expire(ctx context.Context, v *venue, h usher.Hold) error {
	if s.now().Before(h.UpstreamExpiresAt) {
		s.releaseQuietly(ctx, v, toHoldLines(h.EventID, h.Lines))
	}
	h.Status, h.UpdatedAt = usher.HoldExpired, s.now()
	s.metrics.Hold(v.Code, "expired")
	return s.store.UpdateHold(ctx, h)
}

func (s *Service) releaseQuietly(ctx context.Context, v *venue, lines []centaman.HoldLine) {
	err := v.Client.Release(ctx, lines)
	s.observe(ctx, v, err)
	if err != nil {
		s.logger.WarnContext(ctx, "could not release held tickets; Centaman drops them at its own expiry",
			"institution", v.Code, "err", err)
	}
}

// HoldView is a hold as the API shows it.
type HoldView struct {
	ID               string           `json:"id"`
	EventID          int64            `json:"event_id"`
	Date             string           `json:"date"`
	Tickets          []usher.HoldLine `json:"tickets"`
	Quantity         int              `json:"quantity"`
	Status           usher.HoldStatus `json:"status"`
	ExpiresAt        time.Time        `json:"expires_at"`
	ExpiresInSeconds int64            `json:"expires_in_seconds"`
}

// View returns the API form of h at now.
func View(h usher.Hold, now time.Time) HoldView {
	left := max(int64(h.ExpiresAt.Sub(now).Seconds()), 0)
	if h.Status != usher.HoldActive {
		left = 0
	}
	return HoldView{ID: h.ID, EventID: h.EventID, Date: h.EventDate, Tickets: h.Lines, Quantity: h.Quantity(),
		Status: h.Status, ExpiresAt: h.ExpiresAt, ExpiresInSeconds: left}
}

// onlyLeft says how many tickets a session has left, in words a visitor
// reads on the storefront.
func onlyLeft(free int) string {
	switch free {
	case 0:
		return "no tickets left"
	case 1:
		return "only 1 ticket left"
	}
	return fmt.Sprintf("only %d tickets left", free)
}
