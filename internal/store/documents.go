package store

import (
	"context"
	"fmt"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

var _ usher.DocumentStore = (*Store)(nil)

// SaveDocuments stores docs in one transaction; see usher.DocumentStore.
// A payload no CRM route concerns goes the engine's grouped way
// (SaveGrouped), which nothing has to read before the commit; one that
// may reach a CRM is stored and routed in one transaction of its own.
func (s *Store) SaveDocuments(ctx context.Context, docs []usher.Document) ([]usher.Outcome, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	received := s.now().UTC()
	if !s.routesAny(docs) {
		return s.d.SaveGrouped(ctx, docs, received)
	}
	return s.saveInTx(ctx, "save documents", docs, nil, received)
}

// saveInTx stores docs and quarantines bad in a transaction of their own,
// routing the versions that became current (saveRouted).
func (s *Store) saveInTx(ctx context.Context, op string, docs []usher.Document, bad []usher.QuarantinedDocument, received time.Time) ([]usher.Outcome, error) {
	var outcomes []usher.Outcome
	err := s.d.InTx(ctx, op, func(ctx context.Context, x driver.Executor) error {
		var err error
		outcomes, err = s.saveRouted(ctx, x, docs, bad, received)
		return err
	})
	if err != nil {
		return nil, err
	}
	return outcomes, nil
}

// saveRouted stores docs and quarantines bad in x, then enqueues the CRM
// deliveries of the versions that became current (routeStored).
func (s *Store) saveRouted(ctx context.Context, x driver.Executor, docs []usher.Document, bad []usher.QuarantinedDocument, received time.Time) ([]usher.Outcome, error) {
	saved, err := x.SaveDocuments(ctx, docs, bad, received)
	if err != nil {
		return nil, err
	}
	if err := s.routeStored(ctx, x, saved.Current, received); err != nil {
		return nil, fmt.Errorf("crm deliveries: %w", err)
	}
	return saved.Outcomes, nil
}

// FindDocuments lists documents; see usher.DocumentStore.
func (s *Store) FindDocuments(ctx context.Context, f usher.DocumentFilter) ([]usher.Document, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var out []usher.Document
	var err error
	if f.Stream == usher.StreamTicketChecks {
		out, err = s.d.ListTicketChecks(ctx, f.Institution, f.ExternalID, limit)
	} else {
		out, err = s.d.ListDocuments(ctx, f.Institution, f.Stream, f.ExternalID, f.AllVersions, limit)
	}
	if err != nil {
		return nil, unavailable("find documents", err)
	}
	for i := range out {
		out[i].Institution, out[i].Stream = f.Institution, f.Stream
	}
	return out, nil
}

// TicketCheckHashes returns the stored content hash of each of ids; see
// usher.DocumentStore. It reads outside the writer.
func (s *Store) TicketCheckHashes(ctx context.Context, institution string, ids []int64) (map[int64]string, error) {
	hashes := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return hashes, nil
	}
	rows, err := s.d.TicketCheckHashes(ctx, institution, ids)
	if err != nil {
		return nil, unavailable("find ticket check hashes", err)
	}
	for _, r := range rows {
		hashes[r.ID] = r.Hash
	}
	return hashes, nil
}
