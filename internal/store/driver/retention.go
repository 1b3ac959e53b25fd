package driver

import (
	"context"
	"time"

	"github.com/usher-hub/usher"
)

// RetentionVerbs are the plain verbs of retention: read the rows older
// than a time with the facts that decide whether they may go, and delete
// rows by id. Which rows go is internal/store's (retention.go).
type RetentionVerbs interface {
	// PrunableVersions returns at most limit versions of an institution's
	// stream received before before and after the cursor, in (received
	// time, id) order, with their facts.
	PrunableVersions(ctx context.Context, institution string, stream usher.Stream, before time.Time, after usher.PruneCursor, limit int) ([]PrunableRow, error)
	// PrunableChecks is PrunableVersions for ticket checks (ID is the
	// ticket check id).
	PrunableChecks(ctx context.Context, institution string, before time.Time, after usher.PruneCursor, limit int) ([]PrunableRow, error)
	// PrunableQuarantined is PrunableVersions for quarantined documents,
	// by the time they were last pushed.
	PrunableQuarantined(ctx context.Context, institution string, stream usher.Stream, before time.Time, after usher.PruneCursor, limit int) ([]PrunableRow, error)
	// DeleteVersions deletes document versions by id.
	DeleteVersions(ctx context.Context, ids []int64) (int64, error)
	// DeleteChecks deletes an institution's ticket checks by id.
	DeleteChecks(ctx context.Context, institution string, ids []int64) (int64, error)
	// DeleteQuarantined deletes quarantined documents by id.
	DeleteQuarantined(ctx context.Context, ids []int64) (int64, error)
	// InsertPruneRun adds an audit record of pruning to the erasures'
	// table; record is the run as JSON.
	InsertPruneRun(ctx context.Context, institution, actor string, at time.Time, reason string, record []byte) error
	// ListPruneRuns returns an institution's records of pruning (the JSON
	// given to InsertPruneRun), newest first.
	ListPruneRuns(ctx context.Context, institution string) ([][]byte, error)
}

// PrunableRow is a row a retention rule may remove, with the facts the
// store decides on.
type PrunableRow struct {
	ID int64
	// At is when the row was received (a quarantined row: last pushed).
	At time.Time
	// NextAt is when the version after this one was received; nil for the
	// newest version. Versions only.
	NextAt *time.Time
	// Head: the version is its document's current one.
	Head bool
	// Pending: the projector may not have applied the row yet. A driver
	// may answer true for a row already applied (a bound, not a lookup),
	// never false for one that is not.
	Pending bool
	// Applied: the order version the sales rollups hold.
	Applied bool
	// Unmatched: a ticket check whose movement no stored order names yet;
	// the projector moves it when the order arrives.
	Unmatched bool
}
