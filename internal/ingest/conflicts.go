package ingest

import (
	"context"
	"slices"

	"github.com/usher-hub/usher"
)

// outcomeConflict labels conflicting ticket checks in
// usher_documents_total.
const outcomeConflict = "conflict"

// conflict is a ticket check kept in quarantine because its id is stored
// with another content, and its position in the payload.
type conflict struct {
	doc      usher.QuarantinedDocument
	position int
}

// keepConflicts finds the ticket checks the store answered duplicate whose
// stored content differs (the same id, other content: an upstream
// correction, or a bug) and quarantines them, in their own transaction,
// marking their outcome quarantined. Checks are immutable, so the stored
// one stays; without this the other content vanished as a "duplicate".
// The payload's answer waits for this commit too, so a failure here is a
// 503 and S-360's retry finds the same conflicts again.
func (s *Service) keepConflicts(ctx context.Context, institution string, stream usher.Stream, docs []usher.Document, positions []int, outcomes []usher.Outcome) ([]conflict, error) {
	if stream != usher.StreamTicketChecks {
		return nil, nil
	}
	var ids []int64
	for i, o := range outcomes {
		if o == usher.OutcomeDuplicate && docs[i].Check != nil {
			ids = append(ids, docs[i].Check.TicketCheckID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	stored, err := s.store.TicketCheckHashes(ctx, institution, ids)
	if err != nil {
		return nil, err
	}
	var found []conflict
	for i, o := range outcomes {
		d := docs[i]
		if o != usher.OutcomeDuplicate || d.Check == nil {
			continue
		}
		if hash, ok := stored[d.Check.TicketCheckID]; ok && hash != d.Hash {
			found = append(found, conflict{doc: conflicting(d, hash, s.validator.SchemaVersion(institution, usher.DocS360TicketCheck)), position: positions[i]})
			outcomes[i] = usher.OutcomeQuarantined
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	bad := make([]usher.QuarantinedDocument, len(found))
	for i, c := range found {
		bad[i] = c.doc
	}
	if _, err := s.store.SaveDocumentsAndQuarantine(ctx, nil, bad); err != nil {
		return nil, err
	}
	return found, nil
}

func conflicting(d usher.Document, storedHash, schemaVersion string) usher.QuarantinedDocument {
	return usher.QuarantinedDocument{
		Institution: d.Institution, Stream: d.Stream, DocType: usher.DocS360TicketCheck, ExternalID: d.ExternalID,
		Hash: d.Hash, Raw: d.Raw, SchemaVersion: schemaVersion,
		Violations: []usher.Violation{usher.ConflictViolation(d.Check.TicketCheckID, storedHash, d.Hash)},
	}
}

// mergeReports adds the conflicts' reports to the validation reports, in
// payload order.
func mergeReports(reports []usher.DocumentReport, conflicts []conflict) []usher.DocumentReport {
	if len(conflicts) == 0 {
		return reports
	}
	for _, c := range conflicts {
		reports = append(reports, usher.DocumentReport{Index: c.position, ExternalID: c.doc.ExternalID,
			DocType: c.doc.DocType, SchemaVersion: c.doc.SchemaVersion, Violations: c.doc.Violations})
	}
	slices.SortFunc(reports, func(a, b usher.DocumentReport) int { return a.Index - b.Index })
	return reports
}
