package usher

import (
	"context"
	"time"
)

// Erasure records that a contact's personal data was erased (GDPR right to
// erasure). The record itself holds no personal data beyond the upstream's
// contact number, which is a pseudonymous id.
type Erasure struct {
	Institution   string    `json:"institution"`
	ContactNumber string    `json:"contact_number"`
	Actor         string    `json:"actor"`
	Reason        string    `json:"reason"`
	ErasedAt      time.Time `json:"erased_at"`
	// Counts of rows rewritten, by place (contact_versions, order_versions…).
	Rewritten map[string]int `json:"rewritten"`
}

// RedactFunc returns the redacted form of a stored document and whether
// it changed.
type RedactFunc func(stream Stream, raw []byte) ([]byte, bool, error)

// ErasureStore erases personal data in place.
type ErasureStore interface {
	// ForgetContact rewrites, in one transaction, every stored version of
	// the contact and of the orders that name it, through redact, and
	// records e. Content hashes are kept, so the erased content is still
	// recognised as a duplicate if the upstream sends it again.
	ForgetContact(ctx context.Context, e Erasure, redact RedactFunc) (Erasure, error)
	// Erasures lists the audit records of an institution, newest first.
	Erasures(ctx context.Context, institution string) ([]Erasure, error)
}
