package config

import (
	"fmt"

	"github.com/usher-hub/usher"
)

// Documents configures the stored documents' indexes for the document
// browser (docs/browse.md).
type Documents struct {
	// IndexedPaths are the JSON paths of a stream that usher keeps an
	// index on, so that the browser's path filter on one reads only the
	// matching versions. Each index costs every push of its stream a
	// little; none by default.
	IndexedPaths []IndexedPath `yaml:"indexed_paths"`
}

// IndexedPath is one indexed path: documents.indexed_paths[i].
type IndexedPath struct {
	// Stream is contacts, orders or a website stream (centaman.member).
	Stream string `yaml:"stream"`
	// Path is a path of the browser's syntax: $.orderDetailsData.orderState.
	Path string `yaml:"path"`
}

func (d Documents) validate() error {
	seen := map[IndexedPath]bool{}
	for i, p := range d.IndexedPaths {
		if err := (usher.IndexedPath{Stream: usher.Stream(p.Stream), Path: p.Path}).Validate(); err != nil {
			return fmt.Errorf("documents.indexed_paths[%d]: %s", i, usher.ErrorMessage(err))
		}
		if seen[p] {
			return fmt.Errorf("documents.indexed_paths[%d]: stream %s, path %s is listed twice", i, p.Stream, p.Path)
		}
		seen[p] = true
	}
	return nil
}

// IndexedPaths returns documents.indexed_paths as the store takes them.
func (c Config) IndexedPaths() []usher.IndexedPath {
	out := make([]usher.IndexedPath, len(c.Documents.IndexedPaths))
	for i, p := range c.Documents.IndexedPaths {
		out[i] = usher.IndexedPath{Stream: usher.Stream(p.Stream), Path: p.Path}
	}
	return out
}
