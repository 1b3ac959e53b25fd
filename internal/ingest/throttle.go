package ingest

import (
	"net/http"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/httpapi"
)

// WithThrottle makes h throttle failed push credentials with t (shared
// with the other doors) and returns h.
func (h *Handler) WithThrottle(t *httpapi.AuthThrottle) *Handler {
	h.throttle = t
	return h
}

// authenticate checks a push's credentials behind the throttle: while the
// client's address, or the institution's credential from an address
// where it did not work lately, is blocked, the push gets 429 with
// Retry-After before its credentials are looked at. A push without any
// credentials is not counted (it guesses nothing).
func (h *Handler) authenticate(inst usher.Institution, r *http.Request) error {
	if inst.Auth.Mode == usher.AuthNone || inst.Auth.Mode == "" {
		return nil
	}
	addr, name := httpapi.ClientAddr(r), "push credential of "+inst.Code
	if err := h.throttle.Check(addr, name); err != nil {
		return err
	}
	err := Authenticate(inst, r)
	if presentsCredentials(inst, r) {
		h.throttle.Record(addr, name, err == nil)
	}
	return err
}

func presentsCredentials(inst usher.Institution, r *http.Request) bool {
	if inst.Auth.Mode == usher.AuthAPIKey {
		return r.Header.Get(inst.Auth.Header) != ""
	}
	return r.Header.Get("Authorization") != ""
}
