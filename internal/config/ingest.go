package config

import (
	"fmt"
	"time"
)

// DefaultWriterSaturatedAfter is how long pushes may wait for SQLite's
// writer, none committing, before /readyz answers 503: longer than the
// 10 s a write waits for the lock, so it is unready only once pushes fail.
const DefaultWriterSaturatedAfter = 15 * time.Second

// DefaultMaxDocuments bounds the documents of one push: S-360 sends at most
// 50.
const DefaultMaxDocuments = 1000

// Ingest bounds the work one push may cost.
type Ingest struct {
	// MaxDocuments is the most documents one push may hold; a push with
	// more is answered 413, before it is decoded. Default 1000.
	MaxDocuments int `yaml:"max_documents"`
	// WriterSaturatedAfter is how long writes may wait for SQLite's single
	// writer with none committing (another process, such as a long job,
	// holding the lock) before /readyz answers 503. Default 15 s.
	// SQLite only.
	WriterSaturatedAfter time.Duration `yaml:"writer_saturated_after"`
}

// SaturatedAfter returns WriterSaturatedAfter, the default filled in.
func (i Ingest) SaturatedAfter() time.Duration {
	if i.WriterSaturatedAfter == 0 {
		return DefaultWriterSaturatedAfter
	}
	return i.WriterSaturatedAfter
}

// Documents returns MaxDocuments, the default filled in.
func (i Ingest) Documents() int {
	if i.MaxDocuments == 0 {
		return DefaultMaxDocuments
	}
	return i.MaxDocuments
}

func (i Ingest) validate() error {
	if i.MaxDocuments < 0 {
		return fmt.Errorf("ingest.max_documents must be at least 1 (0 for the default %d), got %d", DefaultMaxDocuments, i.MaxDocuments)
	}
	if i.WriterSaturatedAfter < 0 {
		return fmt.Errorf("ingest.writer_saturated_after must be a positive duration such as 15s, got %s", i.WriterSaturatedAfter)
	}
	return nil
}
