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
	// ContactVersionBodies returns every stored version of the contact.
	ContactVersionBodies(ctx context.Context, institution, contactNumber string) ([]ErasableBody, error)
	// OrderVersionBodiesNaming returns every stored version of the orders
	// whose contactNumber (in orderDetailsData, or at the top) is the
	// contact's.
	OrderVersionBodiesNaming(ctx context.Context, institution, contactNumber string) ([]ErasableBody, error)
	// QuarantinedBodiesNaming returns the quarantined contacts and orders
	// whose external id is contactNumber or whose body holds its bytes.
	QuarantinedBodiesNaming(ctx context.Context, institution, contactNumber string) ([]ErasableBody, error)
	// ContactJobs returns the outbox jobs of kind whose payload's
	// contact.contactNumber is contactNumber, in any state.
	ContactJobs(ctx context.Context, institution, kind, contactNumber string) ([]ErasableJob, error)
	// RewriteDocumentBody replaces the body of the document version id.
	RewriteDocumentBody(ctx context.Context, id int64, body []byte) error
	// RewriteQuarantinedBody replaces the body of the quarantined row id.
	RewriteQuarantinedBody(ctx context.Context, id int64, body []byte) error
	// RewriteJobPayload replaces the payload of the outbox job id.
	RewriteJobPayload(ctx context.Context, id int64, payload []byte) error
	// InsertErasure adds an audit record; rewritten is e.Rewritten as a
	// JSON object, which is stored in its place.
	InsertErasure(ctx context.Context, e usher.Erasure, rewritten []byte) error
	// ListErasures returns an institution's audit records, newest first.
	ListErasures(ctx context.Context, institution string) ([]ErasureRow, error)
}

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
