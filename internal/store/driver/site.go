package driver

import (
	"context"
	"time"

	"github.com/usher-hub/usher"
)

// SiteVerbs are the plain verbs of the site area: the website layer's
// holds, checkouts, member links and sessions, its sync state, and the
// local copy read by day. internal/store decides what they mean.
//
// Some reads keep a state in their SQL ('active' holds, 'done' checkouts)
// because a partial index is defined on it and an engine uses such an
// index only when the statement names the same literal; the verb's name
// says so.
type SiteVerbs interface {
	// SessionsOfDay reads the current sessions of institution whose
	// StartDate is day, ordered by StartTime then id, each with its current
	// price list when one was synced.
	SessionsOfDay(ctx context.Context, institution, day string) ([]SessionRow, error)
	// PointHeadsAtContent points each document's head at its stored
	// version whose content hash is the document's Hash, where it points
	// elsewhere; a document without such a version changes nothing.
	PointHeadsAtContent(ctx context.Context, docs []usher.Document) error

	// InsertSyncRecordIfAbsent inserts r unless its stream has a sync
	// state, and returns the rows inserted (0 or 1).
	InsertSyncRecordIfAbsent(ctx context.Context, r usher.SyncRecord) (int64, error)
	// SyncRecordForUpdate reads the sync state of one stream (none or
	// one row), locking it until the transaction ends.
	SyncRecordForUpdate(ctx context.Context, institution string, stream usher.Stream) ([]usher.SyncRecord, error)
	// UpdateSyncRecord saves the sync state of r's stream.
	UpdateSyncRecord(ctx context.Context, r usher.SyncRecord) error
	// SyncRecordsOf reads an institution's sync state, by stream.
	SyncRecordsOf(ctx context.Context, institution string) ([]usher.SyncRecord, error)

	// InsertHoldUnlessActive inserts h unless its visitor has an active
	// hold on its session, and returns the rows inserted (0 or 1).
	InsertHoldUnlessActive(ctx context.Context, h HoldRow) (int64, error)
	// UpdateHoldRow saves a hold's lines, status, expiry times and
	// updated_at, and returns the rows changed.
	UpdateHoldRow(ctx context.Context, h HoldRow) (int64, error)
	// HoldByID reads a hold (none or one row).
	HoldByID(ctx context.Context, institution, id string) ([]HoldRow, error)
	// ActiveHoldsOf reads a visitor's active holds on a session.
	ActiveHoldsOf(ctx context.Context, institution, visitor string, eventID int64) ([]HoldRow, error)
	// ActiveHoldsExpiringBy reads up to limit active holds whose
	// expires_at is at or before t, oldest expiry first.
	ActiveHoldsExpiringBy(ctx context.Context, t time.Time, limit int) ([]HoldRow, error)

	// InsertCheckoutIfAbsent inserts c unless its id is stored, and
	// returns the rows inserted (0 or 1).
	InsertCheckoutIfAbsent(ctx context.Context, c usher.Checkout) (int64, error)
	// CheckoutForUpdate reads a checkout (none or one row), locking it
	// until the transaction ends.
	CheckoutForUpdate(ctx context.Context, institution, id string) ([]usher.Checkout, error)
	// CheckoutByID reads a checkout (none or one row).
	CheckoutByID(ctx context.Context, institution, id string) ([]usher.Checkout, error)
	// UpdateCheckoutLease saves a checkout's state, attempts, lease and
	// updated_at.
	UpdateCheckoutLease(ctx context.Context, c usher.Checkout) error
	// UpdateCheckoutOutcome saves a checkout's state, lease, booking,
	// result (NULL when nil), error and updated_at, and returns the rows
	// changed.
	UpdateCheckoutOutcome(ctx context.Context, c usher.Checkout, result *string) (int64, error)
	// SetCheckoutEmailedAt sets a checkout's email_sent_at.
	SetCheckoutEmailedAt(ctx context.Context, institution, id string, at time.Time) error
	// DoneCheckoutsUnemailed reads up to limit done checkouts without
	// email_sent_at, oldest first, across institutions.
	DoneCheckoutsUnemailed(ctx context.Context, limit int) ([]usher.Checkout, error)
	// CheckoutsInStateOf reads up to limit of an institution's checkouts
	// in state, oldest first.
	CheckoutsInStateOf(ctx context.Context, institution string, state usher.CheckoutState, limit int) ([]usher.Checkout, error)

	// PutMemberLink inserts or replaces the link of l's identity.
	PutMemberLink(ctx context.Context, l usher.MemberLink) error
	// MemberLinkOf reads an identity's link (none or one row).
	MemberLinkOf(ctx context.Context, institution, identity string) ([]usher.MemberLink, error)
	// MemberCodesLinked reads the distinct member codes of an
	// institution's links, ascending.
	MemberCodesLinked(ctx context.Context, institution string) ([]int64, error)
	// InsertMemberSession inserts a session.
	InsertMemberSession(ctx context.Context, m usher.MemberSession) error
	// MemberSessionByToken reads the session of a token hash (none or one
	// row), expired or not.
	MemberSessionByToken(ctx context.Context, tokenHash string) ([]usher.MemberSession, error)
	// MemberSessionsExpiringAfter reports whether an institution has a
	// session whose expires_at is after t.
	MemberSessionsExpiringAfter(ctx context.Context, institution string, t time.Time) (bool, error)
	// DeleteMemberSession deletes the session of a token hash.
	DeleteMemberSession(ctx context.Context, tokenHash string) error
	// DeleteMemberSessionsOf deletes an institution's sessions and
	// returns how many there were.
	DeleteMemberSessionsOf(ctx context.Context, institution string) (int64, error)
}

// SessionRow is a current session of the local copy with its current
// price list; the Price fields are nil when no price list was synced.
type SessionRow struct {
	ExternalID string
	Version    int
	Hash       string
	Body       string
	ReceivedAt time.Time

	PriceVersion    *int
	PriceHash       *string
	PriceBody       *string
	PriceReceivedAt *time.Time
}

// HoldRow is a stored hold with its lines as the JSON stored.
type HoldRow struct {
	usher.Hold
	LinesJSON string
}

// SiteLegacy is the site area an engine still implements whole: nothing,
// every rule of the site area lives in internal/store.
type SiteLegacy interface{}
