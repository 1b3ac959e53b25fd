package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/usher-hub/usher"
)

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p usher.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of an authenticated request.
func PrincipalFrom(ctx context.Context) (usher.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(usher.Principal)
	return p, ok
}

// APIKeys authenticates API requests by key.
type APIKeys struct {
	keys     []hashedKey
	throttle *AuthThrottle
}

type hashedKey struct {
	digest [32]byte
	p      usher.Principal
}

// NewAPIKeys returns an authenticator for keys.
func NewAPIKeys(keys []usher.APIKey) *APIKeys {
	a := &APIKeys{throttle: NewAuthThrottle(DefaultThrottleLimits, time.Now)}
	for _, k := range keys {
		if k.Secret == "" {
			continue
		}
		a.keys = append(a.keys, hashedKey{digest: sha256.Sum256([]byte(k.Secret)), p: usher.Principal{Name: k.Name, Institutions: k.Institutions}})
	}
	return a
}

// Lookup returns the principal of secret. Every key is compared, in
// constant time, so timing tells nothing about which key nearly matched.
func (a *APIKeys) Lookup(secret string) (usher.Principal, bool) {
	if secret == "" {
		return usher.Principal{}, false
	}
	d := sha256.Sum256([]byte(secret))
	var found usher.Principal
	ok := false
	for _, k := range a.keys {
		if subtle.ConstantTimeCompare(d[:], k.digest[:]) == 1 {
			found, ok = k.p, true
		}
	}
	return found, ok
}

// RequestKey returns the API key a request presents: "Authorization:
// Bearer KEY" or an X-Api-Key header.
func RequestKey(r *http.Request) string {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
	}
	return r.Header.Get("X-Api-Key")
}

// Require wraps next so that it runs only for a request with a valid key,
// with the key's principal in the request context.
func (a *APIKeys) Require(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r, RequestKey(r))
		if err != nil {
			if usher.ErrorCode(err) == usher.EUNAUTHORIZED {
				w.Header().Set("WWW-Authenticate", `Bearer realm="usher"`)
			}
			Error(w, r, logger, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// Authorize returns an EUNAUTHORIZED-free check that the request's
// principal may act on institution code: ENOTFOUND if not, so a key of
// one institution cannot even learn that another exists.
func Authorize(r *http.Request, code string) error {
	p, ok := PrincipalFrom(r.Context())
	if !ok {
		return usher.Errorf(usher.EUNAUTHORIZED, "not authenticated")
	}
	if !p.Allows(code) {
		return usher.Errorf(usher.ENOTFOUND, "unknown institution %q", code)
	}
	return nil
}
