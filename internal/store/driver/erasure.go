package driver

import (
	"context"

	"github.com/usher-hub/usher"
)

// ErasureVerbs are the plain verbs of the erasure area: the rows an
// erasure reads and rewrites. Which rows concern the contact, how they
// are redacted and when an erasure must wait are internal/store's. On
// PostgreSQL every read here locks its rows until the transaction ends.
type ErasureVerbs interface {
	// ErasableBodies returns the bodies of place that may hold the
	// contact (see ErasurePlace).
	ErasableBodies(ctx context.Context, place ErasurePlace, institution, contactNumber string) ([]ErasableBody, error)
	// RewriteErasableBody replaces the body of the row id of place.
	RewriteErasableBody(ctx context.Context, place ErasurePlace, id int64, body []byte) error
	// ErasableContactJobs returns the outbox jobs of kind whose payload's
	// contact.contactNumber is contactNumber, in any state.
	ErasableContactJobs(ctx context.Context, institution, kind, contactNumber string) ([]ErasableJob, error)
	// RewriteJobPayload replaces the payload of the outbox job id.
	RewriteJobPayload(ctx context.Context, id int64, payload []byte) error
	// InsertErasure adds an audit record; rewritten is e.Rewritten as a
	// JSON object, which is stored in its place.
	InsertErasure(ctx context.Context, e usher.Erasure, rewritten []byte) error
	// ListErasures returns an institution's audit records, newest first.
	ListErasures(ctx context.Context, institution string) ([]ErasureRow, error)
}

// ErasurePlace is where an erasure reads and rewrites bodies. An engine
// runs its queries "Erasable"+place and "Rewrite"+place.
type ErasurePlace string

const (
	// ContactVersions are the stored versions of the contact.
	ContactVersions ErasurePlace = "ContactVersions"
	// OrderVersions are the stored versions of the orders whose
	// contactNumber (in orderDetailsData, or at the top) is the contact's.
	OrderVersions ErasurePlace = "OrderVersions"
	// Quarantined are the quarantined contacts and orders whose external
	// id is the contact number or whose body holds its bytes.
	Quarantined ErasurePlace = "Quarantined"
)

// ErasableBody is a stored body an erasure may rewrite: a document
// version or a quarantined row.
type ErasableBody struct {
	ID     int64
	Stream usher.Stream
	Body   []byte
}

// ErasableJob is an outbox job an erasure may rewrite.
type ErasableJob struct {
	ID      int64
	State   usher.JobState
	Payload []byte
}

// ErasureRow is an audit record as stored: Erasure without its counts,
// and the counts as the JSON object they are stored as.
type ErasureRow struct {
	Erasure   usher.Erasure
	Rewritten []byte
}

// ErasureLegacy is empty: the erasure area's rules are internal/store's.
type ErasureLegacy interface{}
