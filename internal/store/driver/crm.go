package driver

import (
	"context"
	"encoding/json"
	"time"

	"github.com/usher-hub/usher"
)

// CRMVerbs are the plain verbs of the crm area.
type CRMVerbs interface {
	// DocumentVersion reads one stored version of a document with the
	// version that is current (0 if none): no row if it is not stored.
	DocumentVersion(ctx context.Context, institution string, stream usher.Stream, externalID string, version int) ([]DocumentVersion, error)
	// ContactSyncState reads the current version of a contact (0 if none)
	// and counts the jobs of orderKeys that are queued or in flight.
	ContactSyncState(ctx context.Context, institution, contactNumber string, orderKeys []string) (usher.ContactSyncState, error)
	// MarkedContacts reads which of contacts (any institution) have an
	// echo mark pending and unexpired at now.
	MarkedContacts(ctx context.Context, contacts []string, now time.Time) ([]ContactKey, error)
	// PendingEchoMarks reads (and, where the engine can, locks) the
	// pending marks of a contact unexpired at now, oldest first.
	PendingEchoMarks(ctx context.Context, institution, contactNumber string, now time.Time) ([]PendingEchoMark, error)
	// CountSuppressedEchoes counts the contact's suppressed marks whose
	// echo version is above after and below before.
	CountSuppressedEchoes(ctx context.Context, institution, contactNumber string, after, before int) (int, error)
	// SuppressEcho marks echo mark id suppressed by version.
	SuppressEcho(ctx context.Context, id int64, version int) error
	// ConflictEchoes marks the contact's pending marks unexpired at now as
	// conflicts.
	ConflictEchoes(ctx context.Context, institution, contactNumber string, now time.Time) error
	// EnqueueDeliveries queues jobs, at now, skipping any whose
	// idempotency key is already queued.
	EnqueueDeliveries(ctx context.Context, jobs []usher.NewJob, now time.Time) error
	// InsertEchoMark stores m unless its job already has a mark.
	InsertEchoMark(ctx context.Context, m usher.EchoMark) error
	// CountEchoes counts echo marks by institution and outcome.
	CountEchoes(ctx context.Context) ([]usher.EchoCount, error)
	// DeleteEchoMarks deletes marks that expire before cutoff and returns
	// how many.
	DeleteEchoMarks(ctx context.Context, cutoff time.Time) (int64, error)
}

// DocumentVersion is one stored version of a document and the version
// that is current.
type DocumentVersion struct {
	Doc  usher.Document
	Head int
}

// ContactKey names a contact of an institution.
type ContactKey struct {
	Institution, ContactNumber string
}

// PendingEchoMark is a pending echo mark, as the echo check reads it.
type PendingEchoMark struct {
	ID          int64
	BaseVersion int
	Sent        json.RawMessage
}

// CRMLegacy is the crm area an engine still implements whole: nothing,
// its rules are internal/store's.
type CRMLegacy interface{}
