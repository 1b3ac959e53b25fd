package web

import (
	"context"
	"time"

	"github.com/usher-hub/usher"
)

// Quarantine lists the documents an institution's pushes sent that failed
// validation and wait for a replay. The dashboard defines the little it
// needs; the wiring adapts the store's quarantine to it.
type Quarantine interface {
	// Pending returns up to limit pending documents of institution,
	// oldest first.
	Pending(ctx context.Context, institution string, limit int) ([]QuarantineEntry, error)
}

// QuarantineEntry is one quarantined document as the health page shows it.
type QuarantineEntry struct {
	ID         int64
	Stream     usher.Stream
	DocType    string
	ExternalID string
	ReceivedAt time.Time
	LastSeenAt time.Time
	SeenCount  int
	// Problems are the validation messages, first one first.
	Problems []string
	// Conflict marks a ticket check whose id is stored with other content
	// (see usher.ConflictPrefix), not a failed validation.
	Conflict bool
}

// quarantineLimit bounds the list on the health page; the API pages
// through the rest.
const quarantineLimit = 100
