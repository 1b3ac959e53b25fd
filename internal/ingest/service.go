package ingest

import (
	"context"
	"log/slog"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/metrics"
)

// Service turns push payloads into stored documents.
type Service struct {
	store   usher.DocumentStore
	metrics *metrics.Ingest
	logger  *slog.Logger
}

// NewService returns a Service storing into store.
func NewService(store usher.DocumentStore, m *metrics.Ingest, logger *slog.Logger) *Service {
	return &Service{store: store, metrics: m, logger: logger}
}

// Ingest stores one payload for inst and stream. It returns only after the
// whole payload is committed; on any error nothing of it is stored.
func (s *Service) Ingest(ctx context.Context, inst usher.Institution, stream usher.Stream, body []byte) (usher.IngestResult, error) {
	var result usher.IngestResult
	items, err := SplitPayload(body)
	if err != nil {
		return result, err
	}
	docs := make([]usher.Document, 0, len(items))
	for i, raw := range items {
		doc, err := Describe(inst.Code, stream, raw)
		if err != nil {
			return result, usher.Errorf(usher.ErrorCode(err), "item %d: %s", i, usher.ErrorMessage(err))
		}
		docs = append(docs, doc)
	}
	outcomes, err := s.store.SaveDocuments(ctx, docs)
	if err != nil {
		return result, err
	}
	for _, o := range outcomes {
		result.Add(o)
		s.metrics.Documents.WithLabelValues(string(stream), inst.Code, string(o)).Inc()
	}
	return result, nil
}
