package driver

import (
	"context"
	"time"

	"github.com/usher-hub/usher"
)

// DocumentVerbs are the plain verbs of the documents area.
type DocumentVerbs interface {
	// SaveDocuments stores docs, received at received (ticket checks once
	// per id, every other stream as a new version unless its content is
	// stored; a head moves only forward in upstream time), queues what it
	// stored for the analytics projector, and quarantines bad (a bad
	// document whose content is pending is seen again). It returns the
	// outcome of each of docs and the versions that became current, in
	// the order of docs. It is the hot ingest path: each engine stores a
	// payload in as few statements as it can.
	SaveDocuments(ctx context.Context, docs []usher.Document, bad []usher.QuarantinedDocument, received time.Time) (Saved, error)
	// TicketCheckHashes reads the content hash of each of ids stored as a
	// ticket check of institution.
	TicketCheckHashes(ctx context.Context, institution string, ids []int64) ([]CheckHash, error)
	// ListTicketChecks reads an institution's ticket checks (only
	// externalID's when it is not ""), latest access first, as documents.
	ListTicketChecks(ctx context.Context, institution, externalID string, limit int) ([]usher.Document, error)
	// ListDocuments reads the current versions of a stream's documents
	// (every version with allVersions; only externalID's when it is not
	// ""), newest first.
	ListDocuments(ctx context.Context, institution string, stream usher.Stream, externalID string, allVersions bool, limit int) ([]usher.Document, error)
}

// Saved is what SaveDocuments stored.
type Saved struct {
	// Outcomes are the outcomes of the documents, in order.
	Outcomes []usher.Outcome
	// Current are the versions that became current, in the documents'
	// order: the candidates for CRM delivery.
	Current []StoredVersion
}

// StoredVersion is a document version just stored and made current.
type StoredVersion struct {
	Doc     usher.Document
	Version int
}

// CheckHash is the content hash of a stored ticket check.
type CheckHash struct {
	ID   int64
	Hash string
}

// DocumentLegacy is what the engine keeps of the documents area: the
// ingest path of payloads that no CRM route concerns. The engine decides
// how such payloads share transactions and commits (SQLite's group writer
// with its pipelined sync, PostgreSQL's group saver batching several
// payloads into one statement each), which is the whole of its speed;
// what is stored is SaveDocuments' (DocumentVerbs), with no bad
// documents.
type DocumentLegacy interface {
	// SaveGrouped stores docs, received at received, as SaveDocuments does
	// in a transaction of its own, possibly shared with other payloads,
	// and returns once it is durable.
	SaveGrouped(ctx context.Context, docs []usher.Document, received time.Time) ([]usher.Outcome, error)
}
