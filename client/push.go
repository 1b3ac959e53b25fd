package client

import (
	"context"
	"encoding/json"
	"net/http"
)

// Stream is one of the S-360 document streams usher receives.
type Stream string

// The streams of POST /s360/{stream}/{institution}.
const (
	StreamContacts     Stream = "contacts"
	StreamOrders       Stream = "orders"
	StreamTicketChecks Stream = "ticketchecks"
)

// Streams lists every stream.
var Streams = []Stream{StreamContacts, StreamOrders, StreamTicketChecks}

// PushAuth is how an institution's pushes authenticate, as its auth
// setting configures: basic (Username, Password), apikey (Header, Key) or
// none (the zero value). The API key given to New is never sent on a push.
type PushAuth struct {
	Username, Password string
	// Header is the API key header; empty means X-Api-Key.
	Header, Key string
}

// Basic is PushAuth for auth mode basic.
func Basic(username, password string) PushAuth {
	return PushAuth{Username: username, Password: password}
}

// APIKey is PushAuth for auth mode apikey with the header header (empty:
// X-Api-Key).
func APIKey(header, key string) PushAuth { return PushAuth{Header: header, Key: key} }

// Receipt is what a committed push did.
type Receipt struct {
	// Stored counts new documents and new versions.
	Stored int `json:"stored"`
	// Duplicate counts documents whose content was already stored.
	Duplicate int `json:"duplicate"`
	// Quarantined counts invalid documents kept aside, Conflicts included.
	Quarantined int `json:"quarantined"`
	// Conflicts counts ticket checks whose id is stored with other content.
	Conflicts int `json:"conflicts"`
	// Invalid reports the first quarantined documents.
	Invalid []DocumentReport `json:"invalid"`
	// InvalidNotListed counts the reports left out of Invalid.
	InvalidNotListed int `json:"invalid_not_listed"`
}

// DocumentReport is what was wrong with one document of a payload.
type DocumentReport struct {
	Index         int         `json:"index"`
	ExternalID    string      `json:"external_id"`
	DocType       string      `json:"doc_type"`
	SchemaVersion string      `json:"schema_version"`
	Violations    []Violation `json:"violations"`
}

// Violation is one schema violation.
type Violation struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// Push posts body, an S-360 webhook payload (a JSON array of documents or
// one document), to POST /s360/{stream}/{institution}, as S-360 does.
// Under the strict policy an invalid document makes it a *Error with
// status 422 whose Detail lists the reports.
func (c *Client) Push(ctx context.Context, institution string, stream Stream, body []byte, auth PushAuth) (*Receipt, error) {
	r := request{method: http.MethodPost, path: pathEscape("s360", string(stream), institution), body: body, noKey: true}
	switch {
	case auth.Username != "" || auth.Password != "":
		r.basic = &[2]string{auth.Username, auth.Password}
	case auth.Key != "":
		h := auth.Header
		if h == "" {
			h = "X-Api-Key"
		}
		r.header = http.Header{}
		r.header.Set(h, auth.Key)
	}
	var out Receipt
	if _, err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PushDocuments is Push of documents marshalled as a JSON array.
func (c *Client) PushDocuments(ctx context.Context, institution string, stream Stream, docs []any, auth PushAuth) (*Receipt, error) {
	body, err := json.Marshal(docs)
	if err != nil {
		return nil, err
	}
	return c.Push(ctx, institution, stream, body, auth)
}
