package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/usher-hub/usher"
)

// statusOf maps each error code to its HTTP status: the only place that
// decides which status an error gets.
var statusOf = map[string]int{
	usher.EINVALID:       http.StatusBadRequest,
	usher.EUNAUTHORIZED:  http.StatusUnauthorized,
	usher.ENOTFOUND:      http.StatusNotFound,
	usher.ETOOLARGE:      http.StatusRequestEntityTooLarge,
	usher.ECONFLICT:      http.StatusConflict,
	usher.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	usher.EUNAVAILABLE:   http.StatusServiceUnavailable,
	usher.EINTERNAL:      http.StatusInternalServerError,
	ETOOMANY:             http.StatusTooManyRequests,
}

// StatusOf returns the HTTP status for err.
func StatusOf(err error) int {
	if s, ok := statusOf[usher.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes one error for a client.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

// JSON writes v as a JSON response with the given status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Error writes err as a JSON error response. Internal and unavailable
// errors are logged in full; the client sees only the safe message.
func Error(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	status := StatusOf(err)
	code := usher.ErrorCode(err)
	if status >= 500 {
		logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	var detail any
	var e *usher.Error
	if errors.As(err, &e) {
		detail = e.Detail
	}
	if code == usher.EUNAVAILABLE {
		w.Header().Set("Retry-After", "30")
	}
	if code == ETOOMANY {
		setRetryAfter(w.Header(), err)
	}
	JSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: usher.ErrorMessage(err), Detail: detail}})
}
