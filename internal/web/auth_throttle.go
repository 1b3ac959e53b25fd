package web

import (
	"net/http"
	"strconv"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/httpapi"
)

// refuseLogin answers a login that failed: 401 for an unknown key, 429
// with Retry-After while the shared authentication throttle blocks the
// address (after repeated wrong keys, at any door).
func (h *Handler) refuseLogin(w http.ResponseWriter, r *http.Request, err error) {
	h.logger.InfoContext(r.Context(), "dashboard login refused", "remote", r.RemoteAddr, "reason", usher.ErrorCode(err))
	status, problem := http.StatusUnauthorized, "Unknown API key."
	if wait, ok := httpapi.RetryAfter(err); ok {
		status, problem = http.StatusTooManyRequests, usher.ErrorMessage(err)+"."
		w.Header().Set("Retry-After", strconv.FormatInt(wait, 10))
	}
	h.render(w, r, status, "login", loginData{pageData: pageData{Title: "Sign in"}, Problem: problem, Hint: h.signInHint})
}
