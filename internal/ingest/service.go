package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/metrics"
)

// Store is what ingest needs from storage.
type Store interface {
	SaveDocuments(ctx context.Context, docs []usher.Document) ([]usher.Outcome, error)
	SaveDocumentsAndQuarantine(ctx context.Context, docs []usher.Document, bad []usher.QuarantinedDocument) ([]usher.Outcome, error)
	TicketCheckHashes(ctx context.Context, institution string, ids []int64) (map[int64]string, error)
}

// Validator checks documents and names the schema it used.
type Validator interface {
	usher.Validator
	SchemaVersion(institution, docType string) string
}

// Service turns push payloads into stored documents. Every document is
// validated first; what happens to a payload with invalid documents is
// the institution's policy.
type Service struct {
	store     Store
	validator Validator
	metrics   *metrics.Ingest
	logger    *slog.Logger
	// maxDocuments bounds the documents of one payload.
	maxDocuments int
	// storing counts the payloads being stored now.
	storing atomic.Int64
}

// Busy reports whether more than one payload is being stored at this
// moment: pushes are then waiting for one another (on SQLite, for the
// single writer), and background work that competes with them, such as
// the analytics projector, should wait.
func (s *Service) Busy() bool { return s.storing.Load() > 1 }

// NewService returns a Service validating with validator and storing into
// store.
func NewService(store Store, validator Validator, m *metrics.Ingest, logger *slog.Logger) *Service {
	return &Service{store: store, validator: validator, metrics: m, logger: logger, maxDocuments: DefaultMaxDocuments}
}

// WithMaxDocuments sets the most documents one payload may hold (ingest.
// max_documents); a payload with more is refused whole, before it is
// decoded. n < 1 keeps the default.
func (s *Service) WithMaxDocuments(n int) *Service {
	if n >= 1 {
		s.maxDocuments = n
	}
	return s
}

// Receipt is what a committed payload did: the outcome counts and the
// report of the first quarantined documents, up to 100 problems in all;
// Unlisted counts the reports left out.
type Receipt struct {
	usher.IngestResult
	// Conflicts counts the quarantined ticket checks whose id was stored
	// with another content (they are among Quarantined).
	Conflicts int                    `json:"conflicts,omitempty"`
	Invalid   []usher.DocumentReport `json:"invalid,omitempty"`
	Unlisted  int                    `json:"invalid_not_listed,omitempty"`
}

// Rejection is the detail of a payload a strict policy refused, listed as
// a Receipt's.
type Rejection struct {
	Policy   usher.Policy           `json:"policy"`
	Invalid  []usher.DocumentReport `json:"invalid"`
	Unlisted int                    `json:"invalid_not_listed,omitempty"`
}

// Ingest validates and stores one payload for inst and stream, and
// returns only after it is committed; on any error nothing of it is
// stored. Under the quarantine policy valid documents are stored and
// invalid ones quarantined in the same transaction; under strict, one
// invalid document rejects the whole payload with EUNPROCESSABLE and the
// report as detail.
func (s *Service) Ingest(ctx context.Context, inst usher.Institution, stream usher.Stream, body []byte) (Receipt, error) {
	var receipt Receipt
	if countItems(body, s.maxDocuments) > s.maxDocuments {
		return receipt, tooManyDocuments(s.maxDocuments)
	}
	items, values, ok := splitFast(body)
	var err error
	if !ok {
		if items, err = SplitPayload(body); err != nil {
			return receipt, err
		}
		values = nil
	}
	docs, positions, bad, reports := s.sort(inst.Code, stream, items, values)
	if len(bad) > 0 && inst.Policy == usher.PolicyStrict {
		s.count(stream, inst.Code, "rejected", len(bad))
		reports, unlisted := listed(reports)
		return receipt, &usher.Error{
			Code:    usher.EUNPROCESSABLE,
			Message: fmt.Sprintf("%d of %d documents are invalid; policy strict rejects the whole payload and stored nothing", len(bad), len(items)),
			Detail:  Rejection{Policy: usher.PolicyStrict, Invalid: reports, Unlisted: unlisted},
		}
	}
	var outcomes []usher.Outcome
	s.storing.Add(1)
	defer s.storing.Add(-1)
	if len(bad) == 0 {
		outcomes, err = s.store.SaveDocuments(ctx, docs)
	} else {
		outcomes, err = s.store.SaveDocumentsAndQuarantine(ctx, docs, bad)
	}
	if err != nil {
		return receipt, err
	}
	conflicts, err := s.keepConflicts(ctx, inst.Code, stream, docs, positions, outcomes)
	if err != nil {
		return receipt, err
	}
	for _, o := range outcomes {
		receipt.Add(o)
		if o != usher.OutcomeQuarantined { // a conflict, counted below
			s.count(stream, inst.Code, string(o), 1)
		}
	}
	receipt.Quarantined += len(bad)
	receipt.Conflicts = len(conflicts)
	receipt.Invalid, receipt.Unlisted = listed(mergeReports(reports, conflicts))
	s.count(stream, inst.Code, string(usher.OutcomeQuarantined), len(bad))
	s.count(stream, inst.Code, outcomeConflict, len(conflicts))
	return receipt, nil
}

// sort validates each item and splits them into documents to store (with
// the position of each in the payload) and documents to quarantine, with a
// report for each of the latter. values, when not nil, holds each item
// already decoded.
func (s *Service) sort(institution string, stream usher.Stream, items []json.RawMessage, values []any) ([]usher.Document, []int, []usher.QuarantinedDocument, []usher.DocumentReport) {
	docType := usher.DocTypeOf(stream)
	docs := make([]usher.Document, 0, len(items))
	positions := make([]int, 0, len(items))
	var bad []usher.QuarantinedDocument
	var reports []usher.DocumentReport
	for i, raw := range items {
		var decoded any
		if values != nil {
			decoded = values[i]
		}
		violations := s.validate(institution, docType, raw, decoded)
		doc, err := describe(institution, stream, raw, decoded)
		if err != nil && len(violations) == 0 {
			// The schema in force let through a document usher cannot key
			// (an override that made the id optional): keep it aside too.
			violations = []usher.Violation{{Path: "$", Message: "cannot be stored: " + usher.ErrorMessage(err)}}
		}
		if len(violations) == 0 {
			docs = append(docs, doc)
			positions = append(positions, i)
			continue
		}
		q := quarantined(institution, stream, docType, raw, doc, violations, s.validator.SchemaVersion(institution, docType))
		bad = append(bad, q)
		reports = append(reports, usher.DocumentReport{Index: i, ExternalID: q.ExternalID, DocType: docType,
			SchemaVersion: q.SchemaVersion, Violations: violations})
	}
	return docs, positions, bad, reports
}

// decodedValidator validates a document ingest has already decoded, as
// encoding/json decodes with UseNumber (schema.Registry is one).
type decodedValidator interface {
	ValidateDecoded(institution, docType string, raw []byte, v any) []usher.Violation
}

func (s *Service) validate(institution, docType string, raw []byte, decoded any) []usher.Violation {
	if v, ok := s.validator.(decodedValidator); ok && decoded != nil {
		return v.ValidateDecoded(institution, docType, raw, decoded)
	}
	return s.validator.Validate(institution, docType, raw)
}

func describe(institution string, stream usher.Stream, raw json.RawMessage, decoded any) (usher.Document, error) {
	if fields, ok := decoded.(map[string]any); ok {
		return describeFields(institution, stream, raw, fields)
	}
	return Describe(institution, stream, raw)
}

func quarantined(institution string, stream usher.Stream, docType string, raw json.RawMessage, doc usher.Document, vs []usher.Violation, version string) usher.QuarantinedDocument {
	hash := doc.Hash
	if hash == "" {
		hash, _ = usher.HashJSON(raw) // every item is valid JSON: SplitPayload checked the body
	}
	return usher.QuarantinedDocument{
		Institution: institution, Stream: stream, DocType: docType, ExternalID: printableID(doc.ExternalID),
		Hash: hash, Raw: raw, SchemaVersion: version, Violations: vs,
	}
}

// printableID makes an id read from an invalid document safe for a text
// column: valid UTF-8, no NUL, bounded length.
func printableID(id string) string {
	id = strings.ToValidUTF8(strings.ReplaceAll(id, "\x00", ""), "\uFFFD")
	if len(id) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(id[cut]) {
			cut--
		}
		id = id[:cut]
	}
	return id
}

func (s *Service) count(stream usher.Stream, institution, outcome string, n int) {
	if n > 0 {
		s.metrics.Documents.WithLabelValues(string(stream), institution, outcome).Add(float64(n))
	}
}
