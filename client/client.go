// Package client is a small Go client of usher's HTTP API
// (docs/openapi.yaml): S-360 pushes, venue reports, the quarantine
// listing, the outbox status, CRM writes and health. It is what usher's
// end-to-end tests (e2e/) use to talk to a running usher, and what a
// venue's own Go code can use; it needs only the standard library.
//
//	c := client.New("https://usher.example", apiKey)
//	rep, err := c.Report(ctx, "myvenue", client.Sales, client.ReportQuery{From: "2023-02-01", To: "2023-02-28"})
//
// Every method returns a *Error when usher answers with an error status.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client talks to one usher server. It is safe for concurrent use.
type Client struct {
	base   string
	apiKey string
	hc     *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests through hc (for
// timeouts, TLS settings or a proxy). The default is http.DefaultClient.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// New returns a client of the usher server at baseURL (such as
// "http://127.0.0.1:8080"), authenticating /api/v1 calls with apiKey (an
// entry of api_keys in usher's configuration; empty for none).
func New(baseURL, apiKey string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), apiKey: apiKey, hc: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Error is an error answer from usher: its HTTP status and the error
// body's code, message and detail.
type Error struct {
	Status  int
	Code    string // invalid, unauthorized, not_found, too_large, conflict, unprocessable, unavailable, too_many_attempts, internal
	Message string
	// Detail is the body's structured detail (a validation report, a
	// retry delay), as JSON; nil when there is none.
	Detail json.RawMessage
	// RetryAfter is the Retry-After header's delay (429, 503); 0 without one.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("usher: %d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("usher: %d %s: %s", e.Status, e.Code, e.Message)
}

// StatusOf returns the HTTP status of err when it is (or wraps) a *Error,
// and 0 otherwise.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// request describes one call.
type request struct {
	method, path string
	query        url.Values
	body         []byte
	header       http.Header
	noKey        bool
	basic        *[2]string
}

// do sends r and decodes a 2xx JSON answer into out (when not nil); it
// returns the raw body as well.
func (c *Client) do(ctx context.Context, r request, out any) ([]byte, error) {
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, err
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.basic != nil {
		req.SetBasicAuth(r.basic[0], r.basic[1])
	} else if c.apiKey != "" && !r.noKey {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("usher: %s %s: reading the answer: %w", r.method, r.path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return raw, newError(resp, raw)
	}
	if out != nil {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(out); err != nil {
			return raw, fmt.Errorf("usher: %s %s: decoding the answer: %w", r.method, r.path, err)
		}
	}
	return raw, nil
}

func newError(resp *http.Response, raw []byte) *Error {
	e := &Error{Status: resp.StatusCode}
	var body struct {
		Error struct {
			Code    string          `json:"code"`
			Message string          `json:"message"`
			Detail  json.RawMessage `json:"detail"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &body) == nil && body.Error.Code != "" {
		e.Code, e.Message, e.Detail = body.Error.Code, body.Error.Message, body.Error.Detail
	} else {
		e.Message = strings.TrimSpace(string(raw))
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	return e
}

// Health calls GET /healthz: nil when the process answers.
func (c *Client) Health(ctx context.Context) error {
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/healthz", noKey: true}, nil)
	return err
}

// Ready calls GET /readyz: nil when usher and its database answer.
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/readyz", noKey: true}, nil)
	return err
}

// Metrics returns GET /metrics in Prometheus text format; token is
// metrics.token when it is set (empty otherwise).
func (c *Client) Metrics(ctx context.Context, token string) (string, error) {
	r := request{method: http.MethodGet, path: "/metrics", noKey: true}
	if token != "" {
		r.header = http.Header{"Authorization": {"Bearer " + token}}
	}
	raw, err := c.do(ctx, r, nil)
	return string(raw), err
}

func pathEscape(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(p))
	}
	return b.String()
}
