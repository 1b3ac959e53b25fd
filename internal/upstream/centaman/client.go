// Package centaman is a small typed client for the Centaman REST API
// (ticket_services and member_services): Basic auth, PascalCase JSON,
// errors as {"Message": …}. It is only as smart as needed: each method is
// one HTTP call; the site package combines them into whole actions.
package centaman

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/usher-hub/usher"
)

// maxResponseBytes bounds what one answer may hold. A year of sessions for
// a large venue is a few megabytes; more means something is wrong.
const maxResponseBytes = 32 << 20

// DefaultTimeout is how long one call may take. Public clients of
// Centaman use 15 to 20 seconds.
const DefaultTimeout = 15 * time.Second

// ErrUnreachable is wrapped by every error that means Centaman did not
// answer usefully (network failure, timeout, 5xx, refused credentials):
// the website layer then fails closed.
var ErrUnreachable = errors.New("centaman unreachable")

// IsUnreachable reports whether err means Centaman could not be reached.
func IsUnreachable(err error) bool { return errors.Is(err, ErrUnreachable) }

// Config configures a Client.
type Config struct {
	// BaseURL is the API root, such as https://host/CENTAMAN.API.
	BaseURL  string
	Username string
	Password string
	// Timeout bounds each call; DefaultTimeout when zero.
	Timeout time.Duration
	// HTTPClient is used when set (tests, proxies); a plain one otherwise.
	HTTPClient *http.Client
}

// Client calls one Centaman system.
type Client struct {
	base     *url.URL
	username string
	password string
	timeout  time.Duration
	http     *http.Client
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("centaman: base url %q must be an http(s) URL", cfg.BaseURL)
	}
	c := &Client{base: u, username: cfg.Username, password: cfg.Password, timeout: cfg.Timeout, http: cfg.HTTPClient}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	return c, nil
}

// APIError is an answer of Centaman other than success, with the Message
// of its ASP.NET error body.
type APIError struct {
	Method  string
	Path    string
	Status  int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("centaman %s %s: %d %s", e.Method, e.Path, e.Status, e.Message)
}

// do sends one request and decodes a 2xx answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := c.newRequest(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return unreachable(method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return unreachable(method, path, err)
	}
	if len(data) > maxResponseBytes {
		return unreachable(method, path, fmt.Errorf("answer over %d bytes", maxResponseBytes))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return classify(&APIError{Method: method, Path: path, Status: resp.StatusCode, Message: messageOf(data)})
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return unreachable(method, path, fmt.Errorf("answer is not the expected JSON: %w", err))
	}
	return nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, body any) (*http.Request, error) {
	u := *c.base
	u.Path = u.Path + "/" + path
	u.RawQuery = query.Encode()
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("centaman: encode %s body: %w", path, err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), reader)
	if err != nil {
		return nil, fmt.Errorf("centaman: %w", err)
	}
	req.SetBasicAuth(c.username, c.password)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// messageOf returns the Message of an ASP.NET error body, or a short
// excerpt of whatever else came back.
func messageOf(data []byte) string {
	var body struct{ Message string }
	if json.Unmarshal(data, &body) == nil && body.Message != "" {
		return body.Message
	}
	s := strings.TrimSpace(string(data))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// classify turns an error answer into a usher error: 404 is not found,
// other 4xx are refusals the caller can show, and 5xx or refused
// credentials mean Centaman cannot be used right now.
func classify(e *APIError) error {
	switch {
	case e.Status == http.StatusNotFound:
		return &usher.Error{Code: usher.ENOTFOUND, Message: "Centaman: " + orDefault(e.Message, "not found"), Err: e}
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		return &usher.Error{Code: usher.EUNAVAILABLE, Message: "Centaman refused usher's credentials; the venue must fix the configuration",
			Err: errors.Join(ErrUnreachable, e)}
	case e.Status >= 500:
		return &usher.Error{Code: usher.EUNAVAILABLE, Message: "Centaman is unavailable; try again later",
			Err: errors.Join(ErrUnreachable, e)}
	default:
		return &usher.Error{Code: usher.EUNPROCESSABLE, Message: "Centaman refused the request: " + orDefault(e.Message, fmt.Sprint(e.Status)), Err: e}
	}
}

func unreachable(method, path string, err error) error {
	return &usher.Error{Code: usher.EUNAVAILABLE, Message: "Centaman is unreachable; try again later",
		Err: errors.Join(ErrUnreachable, fmt.Errorf("centaman %s %s: %w", method, path, err))}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// decodeList decodes a JSON array, keeping each element's raw bytes.
func decodeList[T any](raw []json.RawMessage, setRaw func(*T, json.RawMessage)) ([]T, error) {
	out := make([]T, 0, len(raw))
	for i, r := range raw {
		var v T
		if err := json.Unmarshal(r, &v); err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		setRaw(&v, r)
		out = append(out, v)
	}
	return out, nil
}

// listOrOne decodes an answer that is an array or a single object.
func listOrOne(data json.RawMessage) ([]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return []json.RawMessage{trimmed}, nil
	}
	var list []json.RawMessage
	err := json.Unmarshal(trimmed, &list)
	return list, err
}

// asAPIError finds the Centaman answer inside err.
func asAPIError(err error, target **APIError) bool { return errors.As(err, target) }
