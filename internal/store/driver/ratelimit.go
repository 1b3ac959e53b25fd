package driver

import "github.com/usher-hub/usher"

// RateLimitVerbs are the plain verbs of the ratelimit area.
type RateLimitVerbs interface{}

// RateLimitLegacy is the ratelimit area an engine still implements whole.
type RateLimitLegacy interface {
	usher.RateLimitStore
}
