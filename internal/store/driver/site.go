package driver

import "github.com/usher-hub/usher"

// SiteVerbs are the plain verbs of the site area.
type SiteVerbs interface{}

// SiteLegacy is the site area an engine still implements whole.
type SiteLegacy interface {
	usher.SiteStore
}
