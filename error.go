package usher

import (
	"errors"
	"fmt"
)

// Error codes shared by every layer. The HTTP layer maps each code to one
// status in a single table, so internals never choose statuses themselves.
const (
	EINVALID       = "invalid"       // the caller sent something malformed
	EUNAUTHORIZED  = "unauthorized"  // missing or wrong credentials
	ENOTFOUND      = "not_found"     // an unknown institution, stream or record
	ETOOLARGE      = "too_large"     // a body above the configured limit
	ECONFLICT      = "conflict"      // the request contradicts stored state
	EUNAVAILABLE   = "unavailable"   // a dependency (database, upstream) is down: retry later
	EUNPROCESSABLE = "unprocessable" // well-formed but rejected by validation
	EINTERNAL      = "internal"      // a bug or an unexpected failure
)

// Error is an application error with a code the caller can act on and a
// message that is safe to show to a client.
type Error struct {
	Code    string
	Message string
	// Err is the underlying cause, logged but never shown to a client.
	Err error
	// Detail is an optional structured body (for example a validation report).
	Detail any
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, EINTERNAL for errors that carry none,
// and "" for a nil error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrNotFound is returned by stores when a record does not exist.
var ErrNotFound = &Error{Code: ENOTFOUND, Message: "not found"}
