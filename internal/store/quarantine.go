package store

import (
	"context"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

var _ usher.QuarantineStore = (*Store)(nil)

// SaveDocumentsAndQuarantine stores docs and quarantines bad in one
// transaction; see usher.QuarantineStore. The valid documents of a
// payload with bad ones reach the CRM like any other.
func (s *Store) SaveDocumentsAndQuarantine(ctx context.Context, docs []usher.Document, bad []usher.QuarantinedDocument) ([]usher.Outcome, error) {
	outcomes, err := s.saveInTx(ctx, "save and quarantine documents", docs, bad, s.now().UTC())
	if err != nil {
		return nil, err
	}
	if outcomes == nil {
		outcomes = []usher.Outcome{}
	}
	return outcomes, nil
}

// FindQuarantined lists quarantined documents; see usher.QuarantineStore.
// An empty, non-nil list of institutions selects none; a status other
// than pending or released selects both.
func (s *Store) FindQuarantined(ctx context.Context, f usher.QuarantineFilter) ([]usher.QuarantinedDocument, error) {
	if f.Institutions != nil && len(f.Institutions) == 0 {
		return nil, nil
	}
	var released *bool
	switch f.Status {
	case "", usher.QuarantinePending:
		released = new(bool)
	case usher.QuarantineReleased:
		released = new(bool)
		*released = true
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	out, err := s.d.ListQuarantined(ctx, f.AfterID, f.Institutions, f.Stream, released, limit)
	if err != nil {
		return nil, unavailable("find quarantined", err)
	}
	return out, nil
}

// RecheckQuarantined records a replay that found the document still
// invalid; see usher.QuarantineStore. A released document keeps the
// check that released it.
func (s *Store) RecheckQuarantined(ctx context.Context, id int64, schemaVersion string, violations []usher.Violation) error {
	now := s.now().UTC()
	return s.d.InTx(ctx, "recheck quarantined", func(ctx context.Context, x driver.Executor) error {
		n, err := x.RecheckQuarantined(ctx, id, schemaVersion, violations, now)
		if err != nil || n > 0 {
			return err
		}
		return quarantineExists(ctx, x, id)
	})
}

// ReleaseQuarantined stores doc and marks quarantined document id
// released, once; see usher.QuarantineStore.
func (s *Store) ReleaseQuarantined(ctx context.Context, id int64, doc usher.Document) (usher.Outcome, bool, error) {
	now := s.now().UTC()
	var outcome usher.Outcome
	var released bool
	err := s.d.InTx(ctx, "release quarantined", func(ctx context.Context, x driver.Executor) error {
		outcome, released = "", false
		// Claim the row first: a concurrent replay waits for it (or finds
		// it released) and stores nothing.
		n, err := x.ClaimQuarantined(ctx, id, now)
		if err != nil {
			return err
		}
		if n == 0 {
			return quarantineExists(ctx, x, id)
		}
		outcomes, err := s.saveRouted(ctx, x, []usher.Document{doc}, nil, now)
		if err != nil {
			return err
		}
		outcome, released = outcomes[0], true
		return x.SetReleaseOutcome(ctx, id, outcome)
	})
	if err != nil {
		return "", false, err
	}
	return outcome, released, nil
}

// quarantineExists returns nil if quarantined document id exists,
// ENOTFOUND if not.
func quarantineExists(ctx context.Context, x driver.Executor, id int64) error {
	ok, err := x.QuarantineExists(ctx, id)
	if err == nil && !ok {
		return usher.Errorf(usher.ENOTFOUND, "no quarantined document %d", id)
	}
	return err
}
