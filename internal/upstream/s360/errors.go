package s360

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrorKind says what a failed call means for whoever retries it.
type ErrorKind int

// The kinds of call failure.
const (
	// Permanent: S-360 understood the request and refused it (validation,
	// unknown contact, bad credentials). Retrying the same call will not help.
	Permanent ErrorKind = iota
	// Temporary: the call may or may not have been applied (5xx, timeout,
	// connection dropped). A write must be resolved by reading back
	// before it is sent again.
	Temporary
	// Throttled: S-360 refused for the rate limit (429 or 509). Nothing was
	// applied; retry at RetryAt without counting an attempt.
	Throttled
	// Unavailable: the client did not call, because the circuit is open.
	// Retry at RetryAt without counting an attempt.
	Unavailable
)

func (k ErrorKind) String() string {
	switch k {
	case Temporary:
		return "temporary"
	case Throttled:
		return "throttled"
	case Unavailable:
		return "unavailable"
	}
	return "permanent"
}

// CallError is a failed S-360 call.
type CallError struct {
	Method string
	Kind   ErrorKind
	// HTTPStatus is 0 when no answer came.
	HTTPStatus int
	// StatusCode and StatusDetail are S-360's own error fields, when the
	// answer carried them.
	StatusCode   string
	StatusDetail string
	// RetryAt is when to try again, for Throttled and Unavailable.
	RetryAt time.Time
	// MaybeApplied says the request was sent and may have been applied:
	// no answer came, or a 5xx. Even when the breaker turns the error
	// into Unavailable, a write must then be resolved before it is sent
	// again.
	MaybeApplied bool
	Err          error
}

func (e *CallError) Error() string {
	msg := fmt.Sprintf("s360 %s: %s", e.Method, e.Kind)
	if e.HTTPStatus != 0 {
		msg += fmt.Sprintf(" (HTTP %d", e.HTTPStatus)
		if e.StatusCode != "" {
			msg += " " + e.StatusCode
		}
		if e.StatusDetail != "" {
			msg += ": " + e.StatusDetail
		}
		msg += ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *CallError) Unwrap() error { return e.Err }

// MaybeApplied reports whether err is a call that may have been applied.
func MaybeApplied(err error) bool {
	var ce *CallError
	return errors.As(err, &ce) && ce.MaybeApplied
}

// KindOf returns the kind of err: a CallError's, or Temporary for any
// other error (the database holding the rate bucket, say).
func KindOf(err error) (ErrorKind, time.Time) {
	var ce *CallError
	if errors.As(err, &ce) {
		return ce.Kind, ce.RetryAt
	}
	return Temporary, time.Time{}
}

// kindOfStatus classifies an HTTP status S-360 answered.
func kindOfStatus(status int) ErrorKind {
	switch {
	case status == http.StatusTooManyRequests || status == 509:
		return Throttled
	case status == http.StatusRequestTimeout || status == http.StatusTooEarly || status >= 500:
		return Temporary
	}
	return Permanent
}

// errNotSuccess marks an answer whose statusCode is not success.
var errNotSuccess = errors.New("S-360 answered a statusCode other than success")
