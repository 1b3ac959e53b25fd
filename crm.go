package usher

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// DeliveryRoute says that an institution's documents of one stream are
// delivered to a named CRM destination.
type DeliveryRoute struct {
	Institution string
	Stream      Stream
	Destination string
	// MaxAttempts is how many tries a delivery gets before the dead letter.
	MaxAttempts int
}

// DeliveryPayload is the payload of a KindCRMDelivery job. It names the
// stored document version instead of copying it: the outbox stays small
// and the body sent is exactly the one stored.
type DeliveryPayload struct {
	Destination string `json:"destination"`
	Stream      Stream `json:"stream"`
	ExternalID  string `json:"external_id"`
	Version     int    `json:"version"`
	Hash        string `json:"hash"`
	// Conflict marks a version in which S-360 changed a contact while a
	// CRM write to it awaited its echo: the merged result, delivered so
	// that both sides converge.
	Conflict bool `json:"conflict,omitempty"`
}

// DeliveryOrderKey is the order key of deliveries of one document to one
// destination: its versions arrive in the order they were stored.
func DeliveryOrderKey(destination string, stream Stream, externalID string) string {
	return "crm:" + destination + ":" + string(stream) + ":" + externalID
}

// DeliveryIdempotencyKey identifies one version of one document for one
// destination. It is the Standard Webhooks webhook-id, so a CRM that
// receives a delivery twice (usher crashed after sending it) can tell.
func DeliveryIdempotencyKey(institution, destination string, stream Stream, externalID string, version int) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{institution, destination, string(stream), externalID, strconv.Itoa(version)}, "\n")))
	return "msg_" + hex.EncodeToString(sum[:16])
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// EchoMark records a contact write usher made in S-360 for the CRM, so
// that S-360's webhook pushing the result back is not forwarded to the
// CRM as a change of its own.
type EchoMark struct {
	Institution   string
	ContactNumber string
	// Sent is the contact as the CRM sent it (the fields written).
	Sent json.RawMessage
	// BaseVersion is the version usher held when the CRM's write was
	// accepted; 0 when usher held none (a new contact).
	BaseVersion int
	JobID       int64
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// EchoOutcome is what became of an echo mark.
type EchoOutcome string

// The outcomes of echo marks.
const (
	EchoPending    EchoOutcome = "pending"    // S-360 has not pushed the contact back yet
	EchoSuppressed EchoOutcome = "suppressed" // the push was the echo: not forwarded
	EchoConflict   EchoOutcome = "conflict"   // S-360 changed the contact too: forwarded
)

// EchoCount counts an institution's echo marks of one outcome.
type EchoCount struct {
	Institution string
	Outcome     EchoOutcome
	Count       int
}

// ContactSyncState is what usher knows of a contact when the CRM writes
// it: the version it holds and whether a delivery of a newer S-360 change
// to the CRM is still pending (both sides changed it: a conflict).
type ContactSyncState struct {
	HeadVersion       int
	PendingDeliveries int
}

// CRMStore keeps what CRM sync needs besides the outbox. SaveDocuments
// enqueues a delivery job for every stored contact and order that became
// current, for each destination routed to its institution and stream, in
// the same transaction, unless the document is the echo of a write usher
// made for the CRM (see IsEcho).
type CRMStore interface {
	// RouteDeliveries sets the routes SaveDocuments enqueues deliveries
	// for; call it once at start, before documents arrive.
	RouteDeliveries(routes []DeliveryRoute)
	// DocumentVersion returns one stored version of a document and the
	// version that is current, or ENOTFOUND.
	DocumentVersion(ctx context.Context, institution string, stream Stream, externalID string, version int) (doc Document, head int, err error)
	// ContactSyncState returns what usher holds of a contact; see ContactSyncState.
	ContactSyncState(ctx context.Context, institution, contactNumber string) (ContactSyncState, error)
	// MarkEcho records a write to S-360 made for the CRM.
	MarkEcho(ctx context.Context, m EchoMark) error
	// CountEchoes counts echo marks by institution and outcome.
	CountEchoes(ctx context.Context) ([]EchoCount, error)
	// PruneEchoes deletes marks that expired before cutoff.
	PruneEchoes(ctx context.Context, cutoff time.Time) (int, error)
}

// RouteTable indexes delivery routes by institution and stream. It is safe
// for concurrent use; Set replaces the whole table at once.
type RouteTable struct {
	m atomic.Pointer[map[routeKey][]DeliveryRoute]
}

type routeKey struct {
	institution string
	stream      Stream
}

// Set replaces the routes.
func (t *RouteTable) Set(routes []DeliveryRoute) {
	m := make(map[routeKey][]DeliveryRoute, len(routes))
	for _, r := range routes {
		k := routeKey{r.Institution, r.Stream}
		m[k] = append(m[k], r)
	}
	t.m.Store(&m)
}

// For returns the routes of an institution's stream.
func (t *RouteTable) For(institution string, stream Stream) []DeliveryRoute {
	m := t.m.Load()
	if m == nil {
		return nil
	}
	return (*m)[routeKey{institution, stream}]
}

// Destinations returns the distinct destinations routed for an
// institution's stream.
func (t *RouteTable) Destinations(institution string, stream Stream) []string {
	var out []string
	for _, r := range t.For(institution, stream) {
		out = append(out, r.Destination)
	}
	return out
}

// DefaultMaxAttempts is how many tries a job gets when nothing says
// otherwise: with the default backoff (5 s doubling to an hour) about
// nine hours, long enough to ride out a CRM's maintenance window.
const DefaultMaxAttempts = 15

// NewDelivery returns the delivery job of one stored document version
// along route r; conflict says S-360 and the CRM both changed it.
func NewDelivery(r DeliveryRoute, d Document, version int, conflict bool) NewJob {
	p := DeliveryPayload{Destination: r.Destination, Stream: d.Stream, ExternalID: d.ExternalID, Version: version, Hash: d.Hash, Conflict: conflict}
	attempts := r.MaxAttempts
	if attempts < 1 {
		attempts = DefaultMaxAttempts
	}
	return NewJob{
		Institution:    d.Institution,
		Kind:           KindCRMDelivery,
		OrderKey:       DeliveryOrderKey(r.Destination, d.Stream, d.ExternalID),
		IdempotencyKey: DeliveryIdempotencyKey(d.Institution, r.Destination, d.Stream, d.ExternalID, version),
		Payload:        mustJSON(p),
		MaxAttempts:    attempts,
	}
}
