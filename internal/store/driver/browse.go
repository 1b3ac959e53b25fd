package driver

import (
	"context"
	"time"
)

// BrowseVerbs are the plain verbs of the document browser: read rows of
// documents and quarantine in (received_at, id) order, newest first.
type BrowseVerbs interface {
	// BrowseBound returns the key of the Skip-th row (from 0) of r in
	// order, nil when r has no more rows: the floor of a bounded scan.
	BrowseBound(ctx context.Context, r BrowseRange, skip int) (*BrowseKey, error)
	// BrowseList returns up to limit rows of r whose value at m's path
	// equals m's value (m nil: every row).
	BrowseList(ctx context.Context, r BrowseRange, m *BrowseMatch, limit int) ([]BrowseRow, error)
	// BrowseListIndexed is BrowseList over ix, whose stream and path are
	// r's and m's: written as literals, for the planner to read ix, and
	// read with no bound but limit. r is a whole stream's (no external id).
	BrowseListIndexed(ctx context.Context, r BrowseRange, m *BrowseMatch, ix PathIndex, limit int) ([]BrowseRow, error)
	// BrowseQuarantined returns up to limit quarantine rows of r.
	BrowseQuarantined(ctx context.Context, r BrowseRange, limit int) ([]BrowseRow, error)
	// BrowseVersions returns up to limit versions of one document, newest
	// first.
	BrowseVersions(ctx context.Context, institution, stream, externalID string, limit int) ([]BrowseRow, error)
	// BrowseBody returns one version's body; nil when there is none.
	BrowseBody(ctx context.Context, institution, stream, externalID string, version int) ([]byte, error)
}

// BrowseRange is the rows of an institution's stream, of one external id
// ("": all), from From (included) to Before (excluded) in (received_at,
// id) order, read newest first. Both bounds are always set (the store
// makes open ends far-off times), and each is one bound, so an engine's
// range is one index range.
type BrowseRange struct {
	Institution, Stream, ExternalID string
	From, Before                    BrowseKey
}

// Query names the form of an engine's query name for r: name+"One" when
// r is one external id's (read through the document's unique key), name
// for a whole stream (read through the received-time index).
func (r BrowseRange) Query(name string) string {
	if r.ExternalID != "" {
		return name + "One"
	}
	return name
}

// BrowseKey is a row's place in (received_at, id) order.
type BrowseKey struct {
	ReceivedAt time.Time
	ID         int64
}

// BrowseMatch compares a body's value at a path with a JSON scalar, given
// in the forms the engines take.
type BrowseMatch struct {
	// JSONPath is the path in SQLite's syntax ($.a.b[0]); Keys the same
	// path as PostgreSQL's #> takes it ({a,b,0}).
	JSONPath string
	Keys     []string
	// Value is the scalar's JSON text, for jsonb equality.
	Value string
	// Type is its JSON type as SQLite's json_type names it, numbers being
	// "number": text, number, true, false or null; Text its value when a
	// string, Number when a number.
	Type   string
	Text   string
	Number *float64
}

// BrowseRow is one version (or quarantine entry) without its body.
type BrowseRow struct {
	Key        BrowseKey
	ExternalID string
	Version    int
	Current    bool
	Hash       string
	Size       int64
}
