package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// QuarantineQuery filters GET /api/v1/quarantine; the zero value lists
// the first 100 pending documents of every institution the key may see.
type QuarantineQuery struct {
	Institution string
	Stream      Stream
	Status      string // pending (default), released or all
	AfterID     int64  // the NextAfterID of the previous page
	Limit       int    // 1 to 1000; 0 means 100
}

// QuarantinePage is one page of quarantined documents, oldest first.
type QuarantinePage struct {
	Items []QuarantineItem `json:"items"`
	// NextAfterID, when not 0, is the AfterID of the next page.
	NextAfterID int64 `json:"next_after_id"`
}

// QuarantineItem is one quarantined document.
type QuarantineItem struct {
	ID             int64       `json:"id"`
	Institution    string      `json:"institution"`
	Stream         Stream      `json:"stream"`
	DocType        string      `json:"doc_type"`
	ExternalID     string      `json:"external_id"`
	Status         string      `json:"status"` // pending or released
	SchemaVersion  string      `json:"schema_version"`
	Violations     []Violation `json:"violations"`
	ReceivedAt     time.Time   `json:"received_at"`
	LastSeenAt     time.Time   `json:"last_seen_at"`
	SeenCount      int         `json:"seen_count"`
	ReplayedAt     *time.Time  `json:"replayed_at"`
	ReleasedAt     *time.Time  `json:"released_at"`
	ReleaseOutcome string      `json:"release_outcome"` // stored or duplicate
	// Document is the document as JSON; DocumentBase64 holds its exact
	// bytes instead when they are not UTF-8 JSON.
	Document       json.RawMessage `json:"document"`
	DocumentBase64 []byte          `json:"document_base64"`
}

// Quarantine lists one page of quarantined documents. Replaying them is
// an operator's command (usher quarantine replay), not an API call.
func (c *Client) Quarantine(ctx context.Context, q QuarantineQuery) (*QuarantinePage, error) {
	v := url.Values{}
	if q.Institution != "" {
		v.Set("institution", q.Institution)
	}
	if q.Stream != "" {
		v.Set("stream", string(q.Stream))
	}
	if q.Status != "" {
		v.Set("status", q.Status)
	}
	if q.AfterID != 0 {
		v.Set("after_id", strconv.FormatInt(q.AfterID, 10))
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var out QuarantinePage
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/quarantine", query: v}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AllQuarantined lists every quarantined document q selects, page after
// page (q.AfterID is where it starts).
func (c *Client) AllQuarantined(ctx context.Context, q QuarantineQuery) ([]QuarantineItem, error) {
	var all []QuarantineItem
	for {
		page, err := c.Quarantine(ctx, q)
		if err != nil {
			return all, err
		}
		all = append(all, page.Items...)
		if page.NextAfterID == 0 {
			return all, nil
		}
		q.AfterID = page.NextAfterID
	}
}
