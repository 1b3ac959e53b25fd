package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// JobState is the state of a write in usher's outbox.
type JobState string

// The outbox states; failed is the dead letter (usher deliveries retry).
const (
	JobQueued   JobState = "queued"
	JobInflight JobState = "inflight"
	JobDone     JobState = "done"
	JobFailed   JobState = "failed"
)

// ContactRequest is the body of POST /api/v1/crm/{institution}/contacts.
type ContactRequest struct {
	// Contact holds S-360 contact fields; with contactNumber the contact
	// is updated (only the fields given change), without it is created.
	Contact map[string]any `json:"contact"`
	// Reference is the CRM's id for the contact.
	Reference string `json:"reference,omitempty"`
	// BaseVersion is the Usher-Document-Version the CRM last received.
	BaseVersion *int64 `json:"base_version,omitempty"`
}

// BookingRequest is the body of POST /api/v1/crm/{institution}/bookings.
type BookingRequest struct {
	ContactNumber string        `json:"contactNumber"`
	OrderType     string        `json:"orderType"` // SALE, RESERVATION or OPTION
	Reference     string        `json:"reference,omitempty"`
	Items         []BookingItem `json:"items"`
}

// BookingItem is one line of a BookingRequest.
type BookingItem struct {
	ProductID     int64  `json:"productId,omitempty"`
	ProductCode   string `json:"productCode,omitempty"`
	PerformanceID int64  `json:"performanceId,omitempty"`
	TariffCode    string `json:"tariffCode,omitempty"`
	Quantity      int    `json:"quantity"`
}

// WriteReceipt is usher's 202 answer to a CRM write: the write is in the
// outbox and a worker carries it to S-360.
type WriteReceipt struct {
	TrackingID string   `json:"tracking_id"`
	State      JobState `json:"state"`
	// Conflict says both sides changed the contact (docs/crm.md).
	Conflict  bool   `json:"conflict"`
	StatusURL string `json:"status_url"`
}

// RequestStatus is the state of a CRM write.
type RequestStatus struct {
	TrackingID string   `json:"tracking_id"`
	Kind       string   `json:"kind"`
	State      JobState `json:"state"`
	Attempts   int      `json:"attempts"`
	LastError  string   `json:"last_error"`
	// Result is {contactNumber} for a contact, {orderId, orderSecretId,
	// orderState} for a booking.
	Result    json.RawMessage `json:"result"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// SaveContact creates or updates an S-360 contact through usher. body is
// a ContactRequest or anything that marshals to its JSON (a
// json.RawMessage written by hand); idempotencyKey, when not empty, makes
// a resent request return the first receipt.
func (c *Client) SaveContact(ctx context.Context, institution, idempotencyKey string, body any) (*WriteReceipt, error) {
	return c.crmWrite(ctx, institution, "contacts", idempotencyKey, body)
}

// CreateBooking creates an option, a reservation or a sale in S-360 for
// a contact; body is a BookingRequest or its JSON.
func (c *Client) CreateBooking(ctx context.Context, institution, idempotencyKey string, body any) (*WriteReceipt, error) {
	return c.crmWrite(ctx, institution, "bookings", idempotencyKey, body)
}

func (c *Client) crmWrite(ctx context.Context, institution, route, idempotencyKey string, body any) (*WriteReceipt, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	r := request{method: http.MethodPost, path: pathEscape("api", "v1", "crm", institution, route), body: raw}
	if idempotencyKey != "" {
		r.header = http.Header{"Idempotency-Key": {idempotencyKey}}
	}
	var out WriteReceipt
	if _, err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Request returns the state of the CRM write trackingID.
func (c *Client) Request(ctx context.Context, institution, trackingID string) (*RequestStatus, error) {
	var out RequestStatus
	if _, err := c.do(ctx, request{method: http.MethodGet, path: pathEscape("api", "v1", "crm", institution, "requests", trackingID)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// OutboxStatus is the answer of GET /api/v1/outbox.
type OutboxStatus struct {
	Institutions []InstitutionOutbox `json:"institutions"`
}

// InstitutionOutbox is one institution's outbox: jobs by state, all kinds
// together and by kind, and extras (S-360 circuit and rate budget, CRM
// destinations, echo counts) as JSON.
type InstitutionOutbox struct {
	Institution string                      `json:"institution"`
	Jobs        map[JobState]int            `json:"jobs"`
	Kinds       map[string]map[JobState]int `json:"kinds"`
	Extra       map[string]any              `json:"extra"`
}

// Outbox returns the outbox status of the institutions the API key may
// see, or of institution alone when it is not empty.
func (c *Client) Outbox(ctx context.Context, institution string) (*OutboxStatus, error) {
	var q url.Values
	if institution != "" {
		q = url.Values{"institution": {institution}}
	}
	var out OutboxStatus
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/outbox", query: q}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
