package outbox

import (
	"errors"
	"time"
)

// permanentError marks a failure that retrying will not fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent wraps err so that the job goes to the dead letter at once.
func Permanent(err error) error { return &permanentError{err} }

// snoozeError marks an attempt that did not really happen.
type snoozeError struct {
	until time.Time
	err   error
}

func (e *snoozeError) Error() string { return e.err.Error() }
func (e *snoozeError) Unwrap() error { return e.err }

// Snooze wraps err so that the job is tried again at until without the
// attempt counting: the target was not called (rate limit, open circuit).
func Snooze(until time.Time, err error) error { return &snoozeError{until, err} }

// notBeforeError marks a failed attempt whose target named a retry time.
type notBeforeError struct {
	at  time.Time
	err error
}

func (e *notBeforeError) Error() string { return e.err.Error() }
func (e *notBeforeError) Unwrap() error { return e.err }

// RetryNotBefore wraps err so that the attempt counts but the retry waits
// at least until at (a CRM's Retry-After).
func RetryNotBefore(at time.Time, err error) error { return &notBeforeError{at, err} }

func asPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

func asSnooze(err error) (time.Time, bool) {
	var s *snoozeError
	if errors.As(err, &s) {
		return s.until, true
	}
	return time.Time{}, false
}

func notBefore(err error) time.Time {
	var n *notBeforeError
	if errors.As(err, &n) {
		return n.at
	}
	return time.Time{}
}
