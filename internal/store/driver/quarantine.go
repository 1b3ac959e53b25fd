package driver

import "github.com/usher-hub/usher"

// QuarantineVerbs are the plain verbs of the quarantine area.
type QuarantineVerbs interface{}

// QuarantineLegacy is the quarantine area an engine still implements whole.
type QuarantineLegacy interface {
	usher.QuarantineStore
}
