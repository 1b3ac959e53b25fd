package driver

import "github.com/usher-hub/usher"

// DocumentVerbs are the plain verbs of the documents area.
type DocumentVerbs interface{}

// DocumentLegacy is the documents area an engine still implements whole.
type DocumentLegacy interface {
	usher.DocumentStore
}
