package driver

import "github.com/usher-hub/usher"

// ErasureVerbs are the plain verbs of the erasure area.
type ErasureVerbs interface{}

// ErasureLegacy is the erasure area an engine still implements whole.
type ErasureLegacy interface {
	usher.ErasureStore
}
