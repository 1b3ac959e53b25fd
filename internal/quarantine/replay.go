package quarantine

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/usher-hub/usher"
)

// replayPage is how many quarantined documents a replay reads at a time.
const replayPage = 100

// Validator checks documents and names the schema it used.
type Validator interface {
	usher.Validator
	SchemaVersion(institution, docType string) string
}

// DescribeFunc turns a valid raw document into its stored form (external
// id, hash, derived columns); ingest.Describe is the one in use.
type DescribeFunc func(institution string, stream usher.Stream, raw json.RawMessage) (usher.Document, error)

// Replayer re-validates quarantined documents against the schemas in
// force and moves those that pass into the store.
type Replayer struct {
	store     usher.QuarantineStore
	validator Validator
	describe  DescribeFunc
	logger    *slog.Logger
}

// NewReplayer returns a Replayer over store.
func NewReplayer(store usher.QuarantineStore, validator Validator, describe DescribeFunc, logger *slog.Logger) *Replayer {
	return &Replayer{store: store, validator: validator, describe: describe, logger: logger}
}

// ReplayOptions selects what a replay looks at.
type ReplayOptions struct {
	Institution string       // "" for every institution
	Stream      usher.Stream // "" for every stream
	// DryRun checks and counts without storing or recording anything.
	DryRun bool
	// Progress, if set, is called after each document checked.
	Progress func()
}

// ReplaySummary counts what a replay did.
type ReplaySummary struct {
	Checked int `json:"checked"`
	// Stored and Duplicate count released documents by what storing them
	// did: a duplicate was already in the store (pushed again since).
	Stored       int `json:"stored"`
	Duplicate    int `json:"duplicate"`
	StillInvalid int `json:"still_invalid"`
	// WouldRelease counts, in a dry run, the documents that now pass.
	WouldRelease int `json:"would_release,omitempty"`
}

// Replay re-validates every pending quarantined document selected by
// opts. A document that passes is stored and marked released in one
// transaction; one that still fails gets its report updated to the
// current schema. Running it again does nothing new: released documents
// are no longer pending, and the store releases each document once.
func (r *Replayer) Replay(ctx context.Context, opts ReplayOptions) (ReplaySummary, error) {
	var sum ReplaySummary
	f := usher.QuarantineFilter{Stream: opts.Stream, Status: usher.QuarantinePending, Limit: replayPage}
	if opts.Institution != "" {
		f.Institutions = []string{opts.Institution}
	}
	for {
		page, err := r.store.FindQuarantined(ctx, f)
		if err != nil {
			return sum, err
		}
		for _, d := range page {
			if err := r.replayOne(ctx, d, opts.DryRun, &sum); err != nil {
				return sum, err
			}
			if opts.Progress != nil {
				opts.Progress()
			}
		}
		if len(page) < f.Limit {
			return sum, nil
		}
		f.AfterID = page[len(page)-1].ID
	}
}

// checkHashes is the store's lookup of stored ticket checks
// (usher.DocumentStore has it).
type checkHashes interface {
	TicketCheckHashes(ctx context.Context, institution string, ids []int64) (map[int64]string, error)
}

// conflict returns the violation of a valid ticket check whose id is
// stored with other content: it stays in quarantine as a conflict, where
// releasing it would count it a duplicate and drop it. A store without
// the lookup finds none.
func (r *Replayer) conflict(ctx context.Context, doc usher.Document) ([]usher.Violation, error) {
	store, ok := r.store.(checkHashes)
	if !ok {
		return nil, nil
	}
	stored, err := store.TicketCheckHashes(ctx, doc.Institution, []int64{doc.Check.TicketCheckID})
	if err != nil {
		return nil, err
	}
	if hash, ok := stored[doc.Check.TicketCheckID]; ok && hash != doc.Hash {
		return []usher.Violation{usher.ConflictViolation(doc.Check.TicketCheckID, hash, doc.Hash)}, nil
	}
	return nil, nil
}

func (r *Replayer) replayOne(ctx context.Context, d usher.QuarantinedDocument, dryRun bool, sum *ReplaySummary) error {
	sum.Checked++
	version := r.validator.SchemaVersion(d.Institution, d.DocType)
	violations := r.validator.Validate(d.Institution, d.DocType, d.Raw)
	var doc usher.Document
	if len(violations) == 0 {
		var err error
		if doc, err = r.describe(d.Institution, d.Stream, d.Raw); err != nil {
			violations = []usher.Violation{{Path: "$", Message: "cannot be stored: " + usher.ErrorMessage(err)}}
		}
	}
	if len(violations) == 0 && doc.Check != nil {
		var err error
		if violations, err = r.conflict(ctx, doc); err != nil {
			return err
		}
	}
	switch {
	case len(violations) > 0:
		sum.StillInvalid++
		if dryRun {
			return nil
		}
		return r.store.RecheckQuarantined(ctx, d.ID, version, violations)
	case dryRun:
		sum.WouldRelease++
		return nil
	}
	outcome, released, err := r.store.ReleaseQuarantined(ctx, d.ID, doc)
	if err != nil || !released {
		return err // not released: another replay got there first
	}
	// Debug: a replay of thousands must not write thousands of lines; the
	// caller logs one summary.
	r.logger.Debug("quarantine: released", "id", d.ID, "institution", d.Institution, "doc_type", d.DocType,
		"external_id", doc.ExternalID, "outcome", outcome, "schema_version", version)
	if outcome == usher.OutcomeDuplicate {
		sum.Duplicate++
	} else {
		sum.Stored++
	}
	return nil
}
