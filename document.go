package usher

import (
	"context"
	"encoding/json"
	"time"
)

// Stream names one kind of document an upstream pushes. Its string is the
// path segment of the push URL and the document_type column.
type Stream string

// The S-360 push streams (data-analytics and CRM reference architectures).
const (
	StreamContacts     Stream = "contacts"
	StreamOrders       Stream = "orders"
	StreamTicketChecks Stream = "ticketchecks"
)

// Streams lists the S-360 push streams in a stable order.
var Streams = []Stream{StreamContacts, StreamOrders, StreamTicketChecks}

// ParseStream returns the stream named s, or an ENOTFOUND error.
func ParseStream(s string) (Stream, error) {
	for _, st := range Streams {
		if string(st) == s {
			return st, nil
		}
	}
	return "", Errorf(ENOTFOUND, "unknown stream %q: use contacts, orders or ticketchecks", s)
}

// Document is one upstream document exactly as received, with the
// relational columns derived from it.
type Document struct {
	Institution string
	Stream      Stream
	// ExternalID is the upstream's identifier: contactNumber, orderId or
	// ticket_check_id, as a decimal string.
	ExternalID string
	// Hash is the hex SHA-256 of the document's canonical JSON, so the same
	// content always has the same hash whatever its key order or spacing.
	Hash string
	// Raw is the document as received.
	Raw json.RawMessage
	// UpstreamUpdatedAt is the upstream's own change time, when the document
	// carries one; nil otherwise.
	UpstreamUpdatedAt *time.Time
	// ReceivedAt is when usher committed the document.
	ReceivedAt time.Time
	// Version counts distinct contents of one external id, from 1. Ticket
	// checks are immutable and always have version 1.
	Version int
	// Check holds the extracted columns of a ticket check; nil for others.
	Check *TicketCheck
}

// TicketCheck is the relational projection of an access-control check.
type TicketCheck struct {
	TicketCheckID int64
	MovementID    int64
	TicketID      int64
	Barcode       string
	// AccessTime is the gate's local wall-clock time, as S-360 sends it
	// without a zone; it is stored as that wall-clock time in UTC.
	AccessTime    time.Time
	CheckFlow     string
	Result        string
	FailureReason string
}

// Outcome says what storing one document did.
type Outcome string

// The outcomes of storing a document.
const (
	OutcomeStored      Outcome = "stored"      // a new document or a new version
	OutcomeDuplicate   Outcome = "duplicate"   // the same content was already stored
	OutcomeQuarantined Outcome = "quarantined" // kept aside: it failed validation
)

// IngestResult counts the outcomes of one payload.
type IngestResult struct {
	Stored      int `json:"stored"`
	Duplicate   int `json:"duplicate"`
	Quarantined int `json:"quarantined"`
}

// Add records one outcome.
func (r *IngestResult) Add(o Outcome) {
	switch o {
	case OutcomeStored:
		r.Stored++
	case OutcomeDuplicate:
		r.Duplicate++
	case OutcomeQuarantined:
		r.Quarantined++
	}
}

// DocumentFilter selects documents for listing.
type DocumentFilter struct {
	Institution string
	Stream      Stream
	ExternalID  string // optional
	// AllVersions lists every stored version, not only the current one.
	AllVersions bool
	Limit       int
}

// DocumentStore keeps documents. Implementations commit a whole payload or
// nothing: a failed SaveDocuments leaves no trace, so an upstream retry of
// the same payload is safe.
type DocumentStore interface {
	// SaveDocuments stores docs in one transaction and returns each
	// document's outcome in order. A document whose content is already stored
	// for its external id is a duplicate; a changed one becomes a new version.
	SaveDocuments(ctx context.Context, docs []Document) ([]Outcome, error)
	// FindDocuments lists stored documents, newest version first.
	FindDocuments(ctx context.Context, f DocumentFilter) ([]Document, error)
	// TicketCheckHashes returns the content hash of each of ids stored as
	// a ticket check of institution; ids not stored are absent. A check
	// pushed again with another content than the stored one is a
	// conflict, not a duplicate.
	TicketCheckHashes(ctx context.Context, institution string, ids []int64) (map[int64]string, error)
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
}
