package httpapi

import (
	"net/http"

	"github.com/usher-hub/usher"
)

// apiKeyName is the credential name API keys share in the throttle: a key
// carries no name of its own, and all keys are guessed the same way.
const apiKeyName = "api key"

// Throttle returns the throttle of failed API keys, to be shared with the
// other doors (pushes) so that failures anywhere count everywhere.
func (a *APIKeys) Throttle() *AuthThrottle { return a.throttle }

// Authenticate returns the principal of secret presented by r: ETOOMANY
// while r's address (or, from an address where no key worked lately, the
// API keys as a whole) is blocked, EUNAUTHORIZED for a missing or unknown
// key. A request without any key is not counted: it guesses nothing, and
// some clients send one only after a 401.
func (a *APIKeys) Authenticate(r *http.Request, secret string) (usher.Principal, error) {
	addr := ClientAddr(r)
	if err := a.throttle.Check(addr, apiKeyName); err != nil {
		return usher.Principal{}, err
	}
	p, ok := a.Lookup(secret)
	if secret != "" {
		a.throttle.Record(addr, apiKeyName, ok)
	}
	if !ok {
		return usher.Principal{}, usher.Errorf(usher.EUNAUTHORIZED, "missing or unknown API key: send Authorization: Bearer KEY")
	}
	return p, nil
}
