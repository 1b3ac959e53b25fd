package usher

import (
	"context"
	"time"
)

// Validity selects what the document browser lists: documents stored (every
// version of every contact and order) or documents kept in quarantine.
type Validity string

// The kinds of document the browser lists.
const (
	ValidStored      Validity = "stored"      // passed validation: versions in the store
	ValidQuarantined Validity = "quarantined" // failed validation: kept aside byte for byte
)

// ParseValidity returns the validity named s ("" means stored), or an
// EINVALID error.
func ParseValidity(s string) (Validity, error) {
	switch Validity(s) {
	case "", ValidStored:
		return ValidStored, nil
	case ValidQuarantined:
		return ValidQuarantined, nil
	}
	return "", Errorf(EINVALID, "unknown valid %q: use stored or quarantined", s)
}

// BrowseFilter selects the documents of one institution's stream, newest
// received first. Every field but Institution and Stream is optional.
type BrowseFilter struct {
	Institution string
	Stream      Stream
	ExternalID  string
	// From and To bound the received time: From ≤ received < To; a zero
	// time leaves that side open.
	From, To time.Time
	// Path and Equals keep the versions whose JSON value at Path (a path
	// such as $.email or $.orderDetailsData.items[0].id) equals Equals.
	// Equals is read as JSON when it is a JSON scalar (42, true, null,
	// "quoted"), otherwise as a string: equals=PAID and equals="PAID"
	// are the same filter.
	Path   string
	Equals string
	Valid  Validity
	// Limit is the page size; zero is the default, above the maximum is
	// the maximum (the store's BrowseMaxLimit).
	Limit int
	// Cursor is a page's NextCursor, to read the page after it.
	Cursor string
}

// DocumentSummary is one version of a document (or one quarantined
// document) as the browser lists it, without its body.
type DocumentSummary struct {
	Institution string
	Stream      Stream
	ExternalID  string
	// Version is the document's version; 0 for a quarantined document.
	Version int
	// QuarantineID is the quarantine entry's id; 0 for a stored version.
	QuarantineID int64
	// Current marks the version that is the document's current one.
	Current    bool
	ReceivedAt time.Time
	// Hash is the hex SHA-256 of the canonical content (HashJSON).
	Hash string
	// Size is the body's length in bytes as the store holds it.
	Size int64
}

// DocumentPage is one page of a listing. NextCursor, when set, reads the
// next one. A page may hold fewer documents than the limit, even none,
// and still have a NextCursor: each request with a filter on a path that
// is not indexed examines a bounded number of versions, so a filter that
// rarely matches is followed page by page.
type DocumentPage struct {
	Documents  []DocumentSummary
	NextCursor string
}

// DocumentBrowser reads stored documents for people: lists with filters,
// one document's versions, one version's body.
type DocumentBrowser interface {
	// ListDocuments lists the versions f selects, newest received first.
	// A malformed filter (path, cursor, times) is EINVALID.
	ListDocuments(ctx context.Context, f BrowseFilter) (DocumentPage, error)
	// DocumentVersions returns the versions of one document, newest
	// first; ENOTFOUND when it has none.
	DocumentVersions(ctx context.Context, institution string, stream Stream, externalID string) ([]DocumentSummary, error)
	// DocumentBody returns one version's body as stored: the bytes as
	// received on SQLite, the same JSON as JSONB renders it on
	// PostgreSQL; ENOTFOUND when there is no such version.
	DocumentBody(ctx context.Context, institution string, stream Stream, externalID string, version int) ([]byte, error)
}
