// Package site is the website layer: a service that turns Centaman's
// building blocks into whole website actions (show sessions, hold tickets,
// check out once, send e-tickets, recognise and sell to members), and the
// JSON API a venue's website calls, /api/v1/site/{institution}/….
//
// Centaman stays the single source of truth. usher keeps a read-only copy
// of its documents (validated, stored as received) so pages are fast and
// Centaman is spared; the copy is never edited: an action writes to
// Centaman, then re-syncs what it changed. What must be fresh (membership
// status, availability when holding) is read from Centaman on demand. While
// Centaman is unreachable the layer fails closed: member sessions end,
// actions answer 503 with a clear message, and reads of the copy keep
// working and say how old they are.
package site

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/mail"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/upstream/centaman"
)

// Store is the storage the website layer needs: the document store for
// the local copy and its own state.
type Store interface {
	usher.DocumentStore
	usher.SiteStore
}

// TicketMailer sends e-tickets; *mail.Sender is one.
type TicketMailer interface {
	SendTickets(ctx context.Context, e mail.ETicket) error
}

// Venue is one institution served through Centaman.
type Venue struct {
	Code string
	// Name is shown to visitors; the code when empty.
	Name   string
	Client *centaman.Client
	// UpstreamHoldTTL is how long Centaman keeps a hold.
	UpstreamHoldTTL time.Duration
}

// Options are the service's dependencies and settings.
type Options struct {
	Store     Store
	Validator usher.Validator
	// Mailer sends e-tickets; nil means e-mail is not configured.
	Mailer  TicketMailer
	Metrics *metrics.Site
	Logger  *slog.Logger
	Now     func() time.Time
	Venues  []Venue
	// HoldTTL, MemberSessionTTL and CheckoutLease: see config.Site.
	HoldTTL          time.Duration
	MemberSessionTTL time.Duration
	CheckoutLease    time.Duration
	// SyncDays is how many days of sessions are copied.
	SyncDays int
	// HoldLimits bound what visitors can hold (holdlimits.go).
	HoldLimits HoldLimits
}

// Service runs the website actions.
type Service struct {
	store     Store
	validator usher.Validator
	mailer    TicketMailer
	metrics   *metrics.Site
	logger    *slog.Logger
	now       func() time.Time
	venues    map[string]*venue
	opts      Options
	limits    *holdLedger
}

// venue is a Venue with its live state.
type venue struct {
	Venue
	mu     sync.Mutex
	health health
	// holdLocks serialises changes to one visitor's hold on one session
	// within this process; the store's unique index covers replicas.
	holdLocks keyedMutex
}

// health is what usher last learned about reaching Centaman.
type health struct {
	known     bool
	reachable bool
	since     time.Time
	lastError string
}

// New returns a service for opts.Venues.
func New(opts Options) *Service {
	s := &Service{store: opts.Store, validator: opts.Validator, mailer: opts.Mailer, metrics: opts.Metrics,
		logger: opts.Logger, now: opts.Now, venues: map[string]*venue{}, opts: opts, limits: newHoldLedger(opts.HoldLimits)}
	for _, v := range opts.Venues {
		if v.Name == "" {
			v.Name = v.Code
		}
		s.venues[v.Code] = &venue{Venue: v}
	}
	return s
}

// Institutions lists the codes the service serves.
func (s *Service) Institutions() []string {
	out := make([]string, 0, len(s.venues))
	for code := range s.venues {
		out = append(out, code)
	}
	return out
}

func (s *Service) venue(code string) (*venue, error) {
	v, ok := s.venues[code]
	if !ok {
		return nil, usher.Errorf(usher.ENOTFOUND, "institution %q has no website layer (no Centaman configured)", code)
	}
	return v, nil
}

// VenueName returns the name visitors see for an institution.
func (s *Service) VenueName(code string) (string, error) {
	v, err := s.venue(code)
	if err != nil {
		return "", err
	}
	return v.Name, nil
}

// observe records what a call to Centaman says about reaching it. A
// failed call is not yet an outage: one lost answer or one slow call must
// not sign every member out. It is confirmed by Centaman's Diagnostics,
// and only when that fails too is Centaman unreachable.
func (s *Service) observe(ctx context.Context, v *venue, err error) {
	if err != nil && ctx.Err() != nil {
		return // usher gave up (shutdown, a caller's deadline): nothing learned about Centaman
	}
	if err != nil && centaman.IsUnreachable(err) {
		if perr := s.probe(ctx, v); perr == nil {
			s.metrics.SetUpstreamUp(v.Code, true)
			s.logger.WarnContext(ctx, "a call to centaman failed but Diagnostics answers: not an outage, sessions kept",
				"institution", v.Code, "err", err)
			return
		}
	}
	s.setHealth(ctx, v, err)
}

// setHealth records whether Centaman is reachable. The first failure
// after a success ends every member session of the venue: a member must
// not act on a status usher can no longer confirm.
func (s *Service) setHealth(ctx context.Context, v *venue, err error) {
	reachable := err == nil || !centaman.IsUnreachable(err)
	v.mu.Lock()
	changed := !v.health.known || v.health.reachable != reachable
	wasReachable := !v.health.known || v.health.reachable
	if changed {
		v.health = health{known: true, reachable: reachable, since: s.now()}
	}
	if !reachable {
		v.health.lastError = err.Error()
	}
	v.mu.Unlock()
	s.metrics.SetUpstreamUp(v.Code, reachable)
	if !changed {
		return
	}
	if reachable {
		s.logger.InfoContext(ctx, "centaman reachable", "institution", v.Code)
		return
	}
	s.logger.WarnContext(ctx, "centaman unreachable: failing closed", "institution", v.Code, "err", err)
	if wasReachable {
		n, endErr := s.store.EndMemberSessions(ctx, v.Code)
		if endErr != nil {
			s.logger.ErrorContext(ctx, "could not end member sessions", "institution", v.Code, "err", endErr)
			return
		}
		s.logger.WarnContext(ctx, "member sessions ended while centaman is unreachable", "institution", v.Code, "sessions", n)
	}
}

// unreachable reports whether usher last found Centaman unreachable.
func (v *venue) unreachable() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.health.known && !v.health.reachable
}

// Reachability says what usher last learned about reaching Centaman.
type Reachability struct {
	// State is reachable, unreachable or unknown (not asked yet).
	State     string     `json:"state"`
	Since     *time.Time `json:"since,omitempty"`
	LastError string     `json:"last_error,omitempty"`
}

func (v *venue) reachability() Reachability {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.health.known {
		return Reachability{State: "unknown"}
	}
	since := v.health.since
	r := Reachability{State: "reachable", Since: &since}
	if !v.health.reachable {
		r.State, r.LastError = "unreachable", "Centaman did not answer"
	}
	return r
}

// upstreamErr observes err and, when Centaman is unreachable, replaces it
// with a message saying what cannot be done and why.
func (s *Service) upstreamErr(ctx context.Context, v *venue, err error, action string) error {
	s.observe(ctx, v, err)
	if err == nil || !centaman.IsUnreachable(err) {
		return err
	}
	return &usher.Error{Code: usher.EUNAVAILABLE, Err: err,
		Message: fmt.Sprintf("%s is unavailable: %s's ticketing system (Centaman) cannot be reached. Browsing still works from usher's copy; try again later", action, v.Name)}
}

// keyedMutex hands out one mutex per key, dropping it when unused.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	sync.Mutex
	users int
}

// lock locks key and returns its unlock.
func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.users++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		defer k.mu.Unlock()
		if l.users--; l.users == 0 {
			delete(k.locks, key)
		}
	}
}
