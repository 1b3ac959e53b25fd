package usher

import (
	"context"
	"fmt"
	"time"
)

// RetentionKind names what a retention rule removes.
type RetentionKind string

const (
	// RetainSuperseded are the versions of a contact or order that are no
	// longer current. The current version is never removed.
	RetainSuperseded RetentionKind = "superseded_versions"
	// RetainChecks are ticket checks.
	RetainChecks RetentionKind = "checks"
	// RetainQuarantined are quarantined documents, pending or released.
	RetainQuarantined RetentionKind = "quarantined"
)

// RetentionRule says how long one kind of stored row of one institution's
// stream is kept. Without a rule a row is kept forever.
type RetentionRule struct {
	Institution string        `json:"institution"`
	Stream      Stream        `json:"stream"`
	Kind        RetentionKind `json:"kind"`
	// Keep is how long a row is kept: a superseded version from the time
	// the version after it was received, a ticket check from its receipt,
	// a quarantined document from the last time it was pushed.
	Keep time.Duration `json:"keep"`
}

// Validate reports a rule that names what cannot be pruned.
func (r RetentionRule) Validate() error {
	if r.Keep <= 0 {
		return Errorf(EINVALID, "retention %s: keep must be a positive duration, got %s", r, r.Keep)
	}
	if _, err := ParseStream(string(r.Stream)); err != nil {
		return Errorf(EINVALID, "retention: unknown stream %q", r.Stream)
	}
	switch r.Kind {
	case RetainSuperseded:
		if r.Stream == StreamTicketChecks {
			return Errorf(EINVALID, "retention %s: ticket checks have no versions; use %s", r, RetainChecks)
		}
	case RetainChecks:
		if r.Stream != StreamTicketChecks {
			return Errorf(EINVALID, "retention %s: only the %s stream holds ticket checks", r, StreamTicketChecks)
		}
	case RetainQuarantined:
	default:
		return Errorf(EINVALID, "retention: unknown kind %q", r.Kind)
	}
	return nil
}

// String names the rule: "myvenue contacts superseded_versions".
func (r RetentionRule) String() string {
	return fmt.Sprintf("%s %s %s", r.Institution, r.Stream, r.Kind)
}

// Cutoff returns the time before which the rule's rows may go, at now.
func (r RetentionRule) Cutoff(now time.Time) time.Time { return now.Add(-r.Keep).UTC() }

// PruneCursor is where the next batch of a rule starts: after the row
// received at At with id ID (rows are read in that order).
type PruneCursor struct {
	At time.Time `json:"at"`
	ID int64     `json:"id"`
}

// PruneResult is what one batch (or, summed, one run) of a rule found.
type PruneResult struct {
	// Examined are the rows older than the cutoff that the batch read.
	Examined int `json:"examined"`
	// Pruned were removed (for a dry run: would be).
	Pruned int `json:"pruned"`
	// KeptCurrent are versions still current or not yet superseded long
	// enough; KeptProjection are rows the report projections still need
	// (queued for the projector, the version the rollups hold, a ticket
	// check whose order has not arrived).
	KeptCurrent    int `json:"kept_current"`
	KeptProjection int `json:"kept_projection"`
	// Next is where the following batch starts; Done when none is left.
	Next PruneCursor `json:"-"`
	Done bool        `json:"-"`
	// Held is how long the batch's work took inside its transaction, once
	// the database was its (SQLite's single writer, a PostgreSQL pool
	// connection), without the wait for it: what the batch cost pushes,
	// which a pruner beside them paces by.
	Held time.Duration `json:"-"`
}

// Add sums b into r (the figures; the cursor is b's).
func (r *PruneResult) Add(b PruneResult) {
	r.Examined += b.Examined
	r.Pruned += b.Pruned
	r.KeptCurrent += b.KeptCurrent
	r.KeptProjection += b.KeptProjection
	r.Next, r.Done = b.Next, b.Done
	r.Held += b.Held
}

// PruneRun is the audit record of one rule's pruning, kept beside the
// erasures.
type PruneRun struct {
	Rule     RetentionRule `json:"rule"`
	Cutoff   time.Time     `json:"cutoff"`
	Actor    string        `json:"actor"`
	Started  time.Time     `json:"started_at"`
	Finished time.Time     `json:"finished_at"`
	Result   PruneResult   `json:"result"`
}

// Pruner removes stored rows that retention rules let go, in bounded
// batches, each its own short write transaction. It never removes a
// current version, the newest version of a document, or what a report
// projection has not applied yet, so reports keep their figures.
type Pruner interface {
	// PruneBatch examines at most limit rows of rule received before cutoff,
	// after cursor, and removes those that may go, in one transaction.
	PruneBatch(ctx context.Context, rule RetentionRule, cutoff time.Time, after PruneCursor, limit int) (PruneResult, error)
	// CountPrunable is PruneBatch's dry run: the same decisions, nothing
	// removed, read outside any write transaction.
	CountPrunable(ctx context.Context, rule RetentionRule, cutoff time.Time, after PruneCursor, limit int) (PruneResult, error)
	// RecordPrune adds the audit record of a run.
	RecordPrune(ctx context.Context, run PruneRun) error
	// PruneRuns lists an institution's audit records of pruning, newest
	// first.
	PruneRuns(ctx context.Context, institution string) ([]PruneRun, error)
}
