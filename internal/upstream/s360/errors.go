package s360

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// ErrorKind says what a failed call means for whoever retries it.
type ErrorKind int

// The kinds of call failure.
const (
	// Permanent: S-360 understood the request and refused it (validation,
	// unknown contact, bad credentials). Retrying the same call will not help.
	Permanent ErrorKind = iota
	// Temporary: the call may not have been applied (5xx, timeout,
	// network). Retry later with the same idempotency key.
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
	Err     error
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

// retryAfter reads a Retry-After header (seconds or an HTTP date) as a
// time; without one it waits fallback.
func retryAfter(h http.Header, now time.Time, fallback time.Duration) time.Time {
	v := h.Get("Retry-After")
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return now.Add(time.Duration(secs) * time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		return t
	}
	return now.Add(fallback)
}
