package driver

import "github.com/usher-hub/usher"

// OutboxVerbs are the plain verbs of the outbox area.
type OutboxVerbs interface{}

// OutboxLegacy is the outbox area an engine still implements whole.
type OutboxLegacy interface {
	usher.OutboxStore
}
