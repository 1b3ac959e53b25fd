package usher

import (
	"context"
	"encoding/json"
	"time"
)

// HoldStatus is where a website hold is in its life.
type HoldStatus string

// The states of a hold. Only an active hold reserves tickets upstream.
const (
	HoldActive   HoldStatus = "active"
	HoldReleased HoldStatus = "released" // given back by the visitor or lost
	HoldExpired  HoldStatus = "expired"  // its time ran out
	HoldSold     HoldStatus = "sold"     // consumed by a checkout
	// HoldUncertain: the answer to its sale was lost, so the sale may have
	// used its spots. It is never released (Centaman's holds are anonymous
	// counts: a release could free another visitor's spots) and waits for
	// the venue to settle its checkout.
	HoldUncertain HoldStatus = "uncertain"
)

// HoldLine is a number of tickets of one price line (a Centaman TimedTicket).
type HoldLine struct {
	TicketID int64 `json:"ticket_id"`
	Quantity int   `json:"quantity"`
}

// Hold is a visitor's temporary reservation of tickets for one session.
// It is usher's own state, not a copy: Centaman's holds are anonymous
// counts, so usher remembers whose they are and when they end.
type Hold struct {
	ID          string
	Institution string
	// Visitor is the website's opaque id for the visitor (a session id).
	Visitor string
	// EventID is the session's TimedTicketTypeId; EventDate its StartDate
	// (YYYY-MM-DD), which Centaman's availability call needs.
	EventID   int64
	EventDate string
	Lines     []HoldLine
	Status    HoldStatus
	// ExpiresAt is when usher lets the hold go.
	ExpiresAt time.Time
	// UpstreamExpiresAt is when Centaman drops the spots by itself; after
	// it, releasing them could free another visitor's anonymous hold.
	UpstreamExpiresAt time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Quantity is the number of tickets the hold reserves.
func (h Hold) Quantity() int {
	n := 0
	for _, l := range h.Lines {
		n += l.Quantity
	}
	return n
}

// CheckoutState is where a checkout is in its life.
type CheckoutState string

// The states of a checkout.
const (
	// CheckoutPending: one request holds the lease and is talking to the
	// upstream.
	CheckoutPending CheckoutState = "pending"
	// CheckoutUnknown: the sale was sent and its answer is not (yet)
	// known, so it may or may not be recorded. Centaman documents no way to
	// look a sale up, so nothing sells it again: a retry answers
	// "confirming", and the venue settles it (SettleCheckout).
	CheckoutUnknown CheckoutState = "unknown"
	// CheckoutDone: the sale is recorded; Result replays it.
	CheckoutDone CheckoutState = "done"
	// CheckoutFailed: refused, nothing sold; Error replays the refusal.
	CheckoutFailed CheckoutState = "failed"
)

// Checkout is one website checkout, keyed by the id the website chose, so
// that a retried request never records a second sale.
type Checkout struct {
	Institution string
	ID          string
	// RequestHash identifies the request body; the same id with another
	// body is a conflict, not a retry.
	RequestHash      string
	HoldID           string
	PaymentReference string
	Email            string
	State            CheckoutState
	// Attempts counts the requests that took the lease.
	Attempts   int
	LeaseUntil time.Time
	BookingID  string
	// Result is the JSON answer a replay returns.
	Result json.RawMessage
	// ErrorCode and Error are the refusal a replay of a failed checkout returns.
	ErrorCode   string
	Error       string
	EmailSentAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Takeable reports whether a new request may take over this stored
// checkout: the same request (requestHash), nobody is (still) working on
// it (its lease ended before now), and its sale was never sent (an
// unknown checkout may be sold: only the venue settles it; a done or
// failed one is replayed).
func (c Checkout) Takeable(requestHash string, now time.Time) bool {
	return c.RequestHash == requestHash && c.State == CheckoutPending && c.LeaseUntil.Before(now)
}

// Leased returns c as a request that takes its lease until leaseUntil,
// at now, leaves it: pending, with one more attempt.
func (c Checkout) Leased(leaseUntil, now time.Time) Checkout {
	c.State, c.Attempts, c.LeaseUntil, c.UpdatedAt = CheckoutPending, c.Attempts+1, leaseUntil, now
	return c
}

// MemberLink ties a website identity to a Centaman member.
type MemberLink struct {
	Institution string
	Identity    string
	MemberCode  int64
	Email       string
	LinkedAt    time.Time
}

// MemberSession is a signed-in member on the website. Its token is given
// to the website once; usher keeps only its SHA-256.
type MemberSession struct {
	TokenHash   string
	Institution string
	Identity    string
	MemberCode  int64
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// Live reports whether the session is still signed in at now: it expires
// after now. (MemberSessionsExist asks the database the same question,
// expires_at after now, so as not to read every session.)
func (m MemberSession) Live(now time.Time) bool { return m.ExpiresAt.After(now) }

// SyncRecord is the state of the local copy of one stream.
type SyncRecord struct {
	Institution   string
	Stream        Stream
	LastAttemptAt time.Time
	// LastSuccessAt is zero until a sync succeeds.
	LastSuccessAt time.Time
	LastError     string
	Documents     int
}

// Following returns r as stored over prev, the stream's earlier state: a
// failed attempt (no LastSuccessAt) keeps the last success and the number
// of documents it copied.
func (r SyncRecord) Following(prev SyncRecord) SyncRecord {
	if r.LastSuccessAt.IsZero() {
		r.LastSuccessAt, r.Documents = prev.LastSuccessAt, prev.Documents
	}
	return r
}

// EventDocuments is one session from the local copy with its price list
// (nil when none was synced).
type EventDocuments struct {
	Session Document
	Prices  *Document
}

// SiteStore keeps the website layer's own state (holds, checkouts, member
// links and sessions, sync state) and reads its local copy.
type SiteStore interface {
	// SiteEvents returns the current sessions whose StartDate is day
	// (YYYY-MM-DD), ordered by StartTime, with their price lists.
	SiteEvents(ctx context.Context, institution, day string) ([]EventDocuments, error)
	// PointHeads makes the stored version holding each document's content
	// the current one. SaveDocuments leaves the head alone when a content
	// was seen before; a copy must follow its upstream even when a value
	// returns to an earlier one (vacancy 5, then 3, then 5 again).
	PointHeads(ctx context.Context, docs []Document) error

	// RecordSync stores the state of one stream's copy.
	RecordSync(ctx context.Context, r SyncRecord) error
	// SyncRecords lists the sync state of an institution's streams.
	SyncRecords(ctx context.Context, institution string) ([]SyncRecord, error)

	// CreateHold stores a new active hold; ECONFLICT if the visitor
	// already has an active hold on that session.
	CreateHold(ctx context.Context, h Hold) error
	// UpdateHold saves a hold's lines, status and expiry times.
	UpdateHold(ctx context.Context, h Hold) error
	// FindHold returns a hold by id, or ErrNotFound.
	FindHold(ctx context.Context, institution, id string) (Hold, error)
	// ActiveHold returns the visitor's active hold on a session, or ErrNotFound.
	ActiveHold(ctx context.Context, institution, visitor string, eventID int64) (Hold, error)
	// HoldsExpiredBy lists active holds whose ExpiresAt is at or before t,
	// oldest first, across institutions.
	HoldsExpiredBy(ctx context.Context, t time.Time, limit int) ([]Hold, error)

	// ClaimCheckout takes the lease on checkout c.ID for a request: it
	// inserts c as pending with Attempts 1, or takes over an existing one
	// with the same RequestHash that is unknown or whose lease ended before
	// now (Attempts grows). It returns the stored checkout and whether the
	// lease was taken; when it was not, the caller replays or refuses.
	ClaimCheckout(ctx context.Context, c Checkout, now time.Time) (Checkout, bool, error)
	// FinishCheckout saves the state, booking, result or error of a
	// checkout the caller holds the lease on.
	FinishCheckout(ctx context.Context, c Checkout) error
	// MarkCheckoutEmailed records that the e-tickets were sent.
	MarkCheckoutEmailed(ctx context.Context, institution, id string, at time.Time) error
	// CheckoutsAwaitingEmail lists done checkouts whose e-mail is unsent.
	CheckoutsAwaitingEmail(ctx context.Context, limit int) ([]Checkout, error)
	// FindCheckout returns a checkout by id, or ErrNotFound.
	FindCheckout(ctx context.Context, institution, id string) (Checkout, error)
	// CheckoutsInState lists an institution's checkouts in a state, oldest
	// first (the venue's list of unknown sales to settle).
	CheckoutsInState(ctx context.Context, institution string, state CheckoutState, limit int) ([]Checkout, error)

	// LinkMember creates or replaces the link of an identity.
	LinkMember(ctx context.Context, l MemberLink) error
	// FindMemberLink returns an identity's link, or ErrNotFound.
	FindMemberLink(ctx context.Context, institution, identity string) (MemberLink, error)
	// LinkedMemberCodes lists the members linked to any identity.
	LinkedMemberCodes(ctx context.Context, institution string) ([]int64, error)

	// CreateMemberSession stores a new session.
	CreateMemberSession(ctx context.Context, s MemberSession) error
	// FindMemberSession returns the unexpired session with that token
	// hash, or ErrNotFound.
	FindMemberSession(ctx context.Context, tokenHash string, now time.Time) (MemberSession, error)
	// EndMemberSession deletes one session.
	EndMemberSession(ctx context.Context, tokenHash string) error
	// MemberSessionsExist reports whether an institution has an unexpired
	// member session: only then is Centaman probed between syncs.
	MemberSessionsExist(ctx context.Context, institution string, now time.Time) (bool, error)
	// EndMemberSessions deletes every session of an institution and
	// returns how many there were: the fail-closed sign-out.
	EndMemberSessions(ctx context.Context, institution string) (int, error)
}
