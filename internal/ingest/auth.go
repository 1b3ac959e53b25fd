package ingest

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"

	"github.com/usher-hub/usher"
)

// Authenticate checks a push's credentials against the institution's.
// Secrets are compared through their SHA-256 digests in constant time, so
// neither their content nor their length leaks through timing.
func Authenticate(inst usher.Institution, r *http.Request) error {
	a := inst.Auth
	switch a.Mode {
	case usher.AuthNone, "":
		return nil
	case usher.AuthBasic:
		user, pass, ok := r.BasicAuth()
		userOK := equal(user, a.Username)
		passOK := equal(pass, a.Secret)
		if ok && userOK && passOK {
			return nil
		}
		return usher.Errorf(usher.EUNAUTHORIZED, "missing or wrong basic credentials for institution %s", inst.Code)
	case usher.AuthAPIKey:
		key := r.Header.Get(a.Header)
		if key != "" && equal(key, a.Secret) {
			return nil
		}
		return usher.Errorf(usher.EUNAUTHORIZED, "missing or wrong API key in header %s for institution %s", a.Header, inst.Code)
	default:
		return usher.Errorf(usher.EUNAUTHORIZED, "institution %s has an unknown auth mode", inst.Code)
	}
}

func equal(got, want string) bool {
	g := sha256.Sum256([]byte(got))
	w := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
