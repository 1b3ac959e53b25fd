package s360

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Config describes one S-360 instance's API.
type Config struct {
	// Institution is the institution code: the token's subject.
	Institution string
	// BaseURL is https://<institution>.ws.secutix.com, or a simulator.
	BaseURL string
	// Operator (the token's audience), Partner (its issuer) and Secret
	// (its HS256 key) are what S-360 issued for the integration.
	Operator string
	Partner  string
	Secret   string
	// Timeout bounds one call. Default 15 s.
	Timeout time.Duration
	// MaxWait bounds how long a call waits for its rate slot when S-360
	// paused the instance; beyond it the call returns Throttled. Default 30 s.
	MaxWait time.Duration
	// ThrottleWindow is how long a refusal for the rate limit (509, or 429
	// announced) pauses the shared budget: S-360 documents no Retry-After,
	// only a budget per minute, so the next window is the first moment a
	// call can succeed. Default one minute.
	ThrottleWindow time.Duration
	// ContactVersion and OrderVersion are the service versions called.
	// Defaults v2_21 and v1_33, the latest frozen versions documented.
	ContactVersion string
	OrderVersion   string
}

// maxResponse bounds an answer read into memory.
const maxResponse = 4 << 20

// Client calls one S-360 instance.
type Client struct {
	cfg     Config
	http    *http.Client
	budget  Budget
	breaker *Breaker
	now     func() time.Time
	// observe, when set, is told the method and HTTP status (0: none) of
	// every call made, for metrics.
	observe func(method string, status int)
}

// NewClient returns a client of cfg's instance, spending budget and
// guarded by breaker. hc's timeout is not used: cfg.Timeout bounds each
// call. hc's transport may be shared: the client itself makes sure no
// request is ever re-sent by it (see post).
func NewClient(cfg Config, hc *http.Client, budget Budget, breaker *Breaker, now func() time.Time) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 30 * time.Second
	}
	if cfg.ThrottleWindow <= 0 {
		cfg.ThrottleWindow = time.Minute
	}
	if cfg.ContactVersion == "" {
		cfg.ContactVersion = "v2_21"
	}
	if cfg.OrderVersion == "" {
		cfg.OrderVersion = "v1_33"
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Client{cfg: cfg, http: hc, budget: budget, breaker: breaker, now: now}
}

// Observe sets a function told of every call made (method, HTTP status).
func (c *Client) Observe(f func(method string, status int)) { c.observe = f }

// Limiter returns the limiter of the instance-wide budget (or of the
// contact service's, in per-endpoint mode), for status pages.
func (c *Client) Limiter() *Limiter { return c.budget.For(contactService) }

// Breaker returns the client's circuit breaker.
func (c *Client) Breaker() *Breaker { return c.breaker }

// Status are the fields every S-360 answer carries.
type Status struct {
	RequestID    json.Number `json:"requestId,omitempty"`
	StatusCode   string      `json:"statusCode"`
	StatusDetail string      `json:"statusDetail,omitempty"`
}

// endpoint names one REST-RPC method.
type endpoint struct {
	module, service, version, method string
}

func (e endpoint) path() string {
	return "/" + e.module + "/backend-apis/" + e.service + "/" + e.version + "/" + e.method
}

// call runs one REST-RPC call: breaker, rate slot, signed POST, and the
// answer decoded into out. No idempotency header is sent: S-360 documents
// none, and a create whose answer was lost is resolved by reading back
// (see the crm package), never by sending it again blindly.
func (c *Client) call(ctx context.Context, ep endpoint, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return &CallError{Method: ep.method, Kind: Permanent, Err: err}
	}
	ok, retry := c.breaker.Allow()
	if !ok {
		return &CallError{Method: ep.method, Kind: Unavailable, RetryAt: retry, Err: errors.New("circuit open: S-360 kept failing")}
	}
	limiter := c.budget.For(ep.service)
	if err := limiter.Wait(ctx, c.cfg.MaxWait); err != nil {
		c.breaker.Release()
		var ce *CallError
		if errors.As(err, &ce) {
			ce.Method = ep.method
			return ce
		}
		return &CallError{Method: ep.method, Kind: Temporary, Err: fmt.Errorf("rate bucket: %w", err)}
	}
	status, answer, err := c.post(ctx, ep, body)
	if c.observe != nil {
		c.observe(ep.method, status)
	}
	if err != nil {
		return c.failed(&CallError{Method: ep.method, Kind: Temporary, Err: err, MaybeApplied: true})
	}
	return c.settle(ctx, ep, limiter, status, answer, out)
}

// failed records a temporary failure with the breaker. If it opened the
// breaker, S-360 is down rather than this call failing: the error becomes
// Unavailable until the cool-down ends, so an outage postpones jobs
// without spending their attempts.
func (c *Client) failed(ce *CallError) error {
	c.breaker.Record(false)
	if until, open := c.breaker.OpenUntil(); open {
		ce.Kind, ce.RetryAt = Unavailable, until
	}
	return ce
}

// post sends one request, exactly once. Go's transport re-sends a request
// on a reused connection that closed before answering when it deems the
// request replayable: an idempotent method, or an Idempotency-Key header,
// with a body it can rewind. A POST to S-360 may have been applied when
// that happens, so the client makes the request unreplayable (no such
// header, no GetBody) and lets the caller resolve the lost answer.
func (c *Client) post(ctx context.Context, ep endpoint, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+ep.path(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.GetBody = nil // the transport cannot rewind it, so never re-sends it
	token := SignToken(NewClaims(c.cfg.Institution, c.cfg.Operator, c.cfg.Partner, c.now()), c.cfg.Secret)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("read answer: %w", err)
	}
	return resp.StatusCode, answer, nil
}

// settle turns an answer into a result or a classified error, and tells
// the breaker and the shared bucket what it learned.
func (c *Client) settle(ctx context.Context, ep endpoint, limiter *Limiter, status int, answer []byte, out any) error {
	var st Status
	_ = json.Unmarshal(answer, &st)
	if status < 200 || status > 299 {
		ce := &CallError{Method: ep.method, Kind: kindOfStatus(status), HTTPStatus: status, StatusCode: st.StatusCode, StatusDetail: st.StatusDetail}
		switch ce.Kind {
		case Throttled:
			c.breaker.Release()
			// No Retry-After is documented: the budget is per window, so
			// nothing goes before the window has passed.
			ce.RetryAt = c.now().Add(c.cfg.ThrottleWindow)
			if err := limiter.Block(ctx, ce.RetryAt); err != nil {
				ce.Err = fmt.Errorf("could not pause the shared bucket: %w", err)
			}
		case Temporary:
			ce.MaybeApplied = true
			return c.failed(ce)
		default:
			c.breaker.Record(true) // the upstream answered: it is up
		}
		return ce
	}
	c.breaker.Record(true)
	if !strings.EqualFold(st.StatusCode, "success") {
		// A business error: S-360 answers 200 and says so in statusCode.
		return &CallError{Method: ep.method, Kind: Permanent, HTTPStatus: status, StatusCode: st.StatusCode, StatusDetail: st.StatusDetail,
			Err: errNotSuccess}
	}
	if out != nil {
		if err := json.Unmarshal(answer, out); err != nil {
			return &CallError{Method: ep.method, Kind: Temporary, HTTPStatus: status, Err: fmt.Errorf("decode answer: %w", err)}
		}
	}
	return nil
}
