package usher

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// QuarantinedDocument is a document kept aside because it failed
// validation: the raw bytes as received, where they came from, the schema
// they were checked against and every violation found. Nothing a venue
// sends is dropped; a quarantined document waits here until a replay
// against a corrected schema moves it into the store.
type QuarantinedDocument struct {
	ID          int64
	Institution string
	Stream      Stream
	// DocType names the schema the document was checked against.
	DocType string
	// ExternalID is the upstream id when one could be read; "" otherwise.
	ExternalID string
	// Hash is the canonical content hash (HashJSON), which deduplicates a
	// bad document pushed again while it is still pending.
	Hash string
	// Raw is the document exactly as received, byte for byte.
	Raw []byte
	// SchemaVersion identifies the schema of the latest check.
	SchemaVersion string
	Violations    []Violation
	// ReceivedAt is the first time the document arrived; LastSeenAt and
	// SeenCount record pushes of the same content since.
	ReceivedAt time.Time
	LastSeenAt time.Time
	SeenCount  int
	// ReplayedAt is the time of the latest replay that checked it.
	ReplayedAt *time.Time
	// ReleasedAt is set once a replay moved the document into the store,
	// with ReleaseOutcome saying what storing it did.
	ReleasedAt     *time.Time
	ReleaseOutcome Outcome
}

// QuarantineStatus selects quarantined documents by state.
type QuarantineStatus string

// The quarantine states a filter can select.
const (
	QuarantinePending  QuarantineStatus = "pending"  // still waiting for a replay that passes
	QuarantineReleased QuarantineStatus = "released" // moved into the store by a replay
	QuarantineAll      QuarantineStatus = "all"
)

// ParseQuarantineStatus returns the status named s ("" means pending), or
// an EINVALID error.
func ParseQuarantineStatus(s string) (QuarantineStatus, error) {
	switch QuarantineStatus(s) {
	case "", QuarantinePending:
		return QuarantinePending, nil
	case QuarantineReleased, QuarantineAll:
		return QuarantineStatus(s), nil
	}
	return "", Errorf(EINVALID, "unknown status %q: use pending, released or all", s)
}

// QuarantineFilter selects quarantined documents, oldest first.
type QuarantineFilter struct {
	// Institutions limits the result to these codes; nil means every
	// institution, an empty non-nil slice means none.
	Institutions []string
	Stream       Stream           // optional
	Status       QuarantineStatus // "" means pending
	// AfterID pages through the result: only ids above it are returned.
	AfterID int64
	Limit   int
}

// ConflictPrefix opens the violation of a ticket check quarantined because
// its id is already stored with other content (a conflict, not a failed
// validation): checks are immutable, the stored one stays.
const ConflictPrefix = "conflict: "

// ConflictViolation is the violation of ticket check id pushed with
// content hash while another content (storedHash) is stored for it.
func ConflictViolation(id int64, storedHash, hash string) Violation {
	return Violation{Path: "$.ticket_check_id", Message: fmt.Sprintf(
		"%sticket check %d is already stored with other content (stored sha256 %.12s…, this one %.12s…); checks are immutable, so the stored one stays and this one is kept here",
		ConflictPrefix, id, storedHash, hash)}
}

// DocumentReport is the validation report of one document of a payload.
type DocumentReport struct {
	// Index is the document's position in the payload, from 0.
	Index         int         `json:"index"`
	ExternalID    string      `json:"external_id,omitempty"`
	DocType       string      `json:"doc_type"`
	SchemaVersion string      `json:"schema_version"`
	Violations    []Violation `json:"violations"`
}

// QuarantineStore keeps quarantined documents next to the documents they
// may one day join.
type QuarantineStore interface {
	// SaveDocumentsAndQuarantine stores docs as SaveDocuments does and
	// quarantines bad, all in one transaction, and returns the outcomes of
	// docs in order. A bad document whose content is already pending is
	// not added twice: its LastSeenAt, SeenCount and latest violations are
	// updated instead.
	SaveDocumentsAndQuarantine(ctx context.Context, docs []Document, bad []QuarantinedDocument) ([]Outcome, error)
	// FindQuarantined lists quarantined documents, oldest first.
	FindQuarantined(ctx context.Context, f QuarantineFilter) ([]QuarantinedDocument, error)
	// RecheckQuarantined records that a replay found document id still
	// invalid under schemaVersion.
	RecheckQuarantined(ctx context.Context, id int64, schemaVersion string, violations []Violation) error
	// ReleaseQuarantined stores doc, the valid form of quarantined
	// document id, and marks it released, in one transaction. It returns
	// the outcome of storing doc, and released=false (storing nothing) when
	// the document was already released, so a replay run twice, or two
	// replays at once, store it once. An unknown id is ENOTFOUND.
	ReleaseQuarantined(ctx context.Context, id int64, doc Document) (outcome Outcome, released bool, err error)
}

// ViolationsJSON encodes violations for storage; nil encodes as [].
func ViolationsJSON(vs []Violation) []byte {
	if vs == nil {
		vs = []Violation{}
	}
	b, _ := json.Marshal(vs) // a slice of string pairs always encodes
	return b
}
