package driver

import (
	"context"
	"time"

	"github.com/usher-hub/usher"
)

// CRMVerbs are the plain verbs of the crm area.
type CRMVerbs interface{}

// CRMLegacy is the crm area an engine still implements whole.
type CRMLegacy interface {
	usher.CRMStore
	// PruneEchoes forgets echo marks older than cutoff.
	PruneEchoes(ctx context.Context, cutoff time.Time) (int, error)
}
