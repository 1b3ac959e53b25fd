package config

import "fmt"

// DefaultMaxDocuments bounds the documents of one push: S-360 sends at most
// 50.
const DefaultMaxDocuments = 1000

// Ingest bounds the work one push may cost.
type Ingest struct {
	// MaxDocuments is the most documents one push may hold; a push with
	// more is answered 413, before it is decoded. Default 1000.
	MaxDocuments int `yaml:"max_documents"`
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
	return nil
}
