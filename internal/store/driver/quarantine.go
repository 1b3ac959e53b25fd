package driver

import (
	"context"
	"time"

	"github.com/usher-hub/usher"
)

// QuarantineVerbs are the plain verbs of the quarantine area. Documents
// enter quarantine through SaveDocuments (DocumentVerbs).
type QuarantineVerbs interface {
	// ListQuarantined reads quarantined documents with ids above afterID,
	// oldest first: only institutions' when it is not nil, only stream's
	// when it is not "", only released (or only pending) ones when
	// released is not nil.
	ListQuarantined(ctx context.Context, afterID int64, institutions []string, stream usher.Stream, released *bool, limit int) ([]usher.QuarantinedDocument, error)
	// QuarantineExists reads whether quarantined document id exists.
	QuarantineExists(ctx context.Context, id int64) (bool, error)
	// RecheckQuarantined sets the schema version, violations and replay
	// time of pending document id, and returns how many rows changed.
	RecheckQuarantined(ctx context.Context, id int64, schemaVersion string, violations []usher.Violation, at time.Time) (int64, error)
	// ClaimQuarantined marks pending document id released and replayed at
	// at, and returns how many rows changed.
	ClaimQuarantined(ctx context.Context, id int64, at time.Time) (int64, error)
	// SetReleaseOutcome records what storing released document id did.
	SetReleaseOutcome(ctx context.Context, id int64, outcome usher.Outcome) error
}

// QuarantineLegacy is the quarantine area an engine still implements
// whole: nothing, its rules are internal/store's.
type QuarantineLegacy interface{}
