package driver

import (
	"context"

	"github.com/usher-hub/usher"
)

// AnalyticsVerbs are the plain verbs of the analytics area.
type AnalyticsVerbs interface{}

// AnalyticsLegacy is the analytics area an engine still implements whole.
type AnalyticsLegacy interface {
	usher.AnalyticsStore
	// RebuildAnalyticsSteps is RebuildAnalytics reporting each step.
	RebuildAnalyticsSteps(ctx context.Context, institution string, step func(done, total int)) error
}
