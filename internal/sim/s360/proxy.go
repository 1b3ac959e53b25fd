package s360

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// maxProxyBody bounds a payload the proxy holds in memory; S-360 payloads
// are far smaller (at most 50 documents).
const maxProxyBody = 16 << 20

// FaultProxy stands in front of a receiver, as the proxy S-360's pushes go
// through does, and misbehaves on demand: 5xx answers, dropped
// connections and slow answers, each before or after the receiver saw the
// payload.
type FaultProxy struct {
	upstream *url.URL
	faults   Faults
	rng      *lockedRand
	client   *http.Client
	logger   *slog.Logger
	// BeforeForward, if set, is called with each request's number (from 1)
	// before it is forwarded: tests use it to act at a precise moment,
	// such as stopping the receiver in the middle of a run.
	BeforeForward func(n int64)

	requests                         atomic.Int64
	serverErrors, drops, slow, clean atomic.Int64
}

// ProxyCounts counts what a FaultProxy did.
type ProxyCounts struct {
	Requests     int64 `json:"requests"`
	ServerErrors int64 `json:"server_errors"`
	Drops        int64 `json:"drops"`
	Slow         int64 `json:"slow"`
	Clean        int64 `json:"clean"`
}

// NewFaultProxy returns a proxy to upstream (scheme://host:port) injecting
// f's proxy faults, drawn from seed.
func NewFaultProxy(upstream string, f Faults, seed uint64, logger *slog.Logger) (*FaultProxy, error) {
	u, err := url.Parse(upstream)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("fault proxy: upstream %q is not an absolute URL", upstream)
	}
	if f.Slow > 0 && f.SlowDelay <= 0 {
		f.SlowDelay = DefaultSlowDelay
	}
	return &FaultProxy{
		upstream: &url.URL{Scheme: u.Scheme, Host: u.Host},
		faults:   f,
		rng:      newLockedRand(seed ^ 0x9e0c5),
		client:   &http.Client{Timeout: 2 * time.Minute},
		logger:   logger,
	}, nil
}

// Counts returns what the proxy did so far.
func (p *FaultProxy) Counts() ProxyCounts {
	return ProxyCounts{Requests: p.requests.Load(), ServerErrors: p.serverErrors.Load(),
		Drops: p.drops.Load(), Slow: p.slow.Load(), Clean: p.clean.Load()}
}

type fault int

const (
	faultNone fault = iota
	faultErrorBefore
	faultErrorAfter
	faultDropBefore
	faultDropAfter
	faultSlow
)

func (p *FaultProxy) draw() fault {
	p.rng.mu.Lock()
	defer p.rng.mu.Unlock()
	u, before := p.rng.rng.Float64(), p.rng.rng.IntN(2) == 0
	f := p.faults
	switch {
	case u < f.ServerError && before:
		return faultErrorBefore
	case u < f.ServerError:
		return faultErrorAfter
	case u < f.ServerError+f.Drop && before:
		return faultDropBefore
	case u < f.ServerError+f.Drop:
		return faultDropAfter
	case u < f.ServerError+f.Drop+f.Slow:
		return faultSlow
	}
	return faultNone
}

// ServeHTTP forwards r to the upstream unless a fault says otherwise.
func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := p.requests.Add(1)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxProxyBody))
	if err != nil {
		proxyError(w, http.StatusRequestEntityTooLarge, "could not read the payload: "+err.Error())
		return
	}
	f := p.draw()
	switch f {
	case faultErrorBefore:
		p.serverErrors.Add(1)
		proxyError(w, http.StatusServiceUnavailable, "injected fault: upstream unavailable")
		return
	case faultDropBefore:
		p.drops.Add(1)
		panic(http.ErrAbortHandler) // closes the connection without an answer
	}
	if p.BeforeForward != nil {
		p.BeforeForward(n)
	}
	resp, err := p.forward(r, body)
	if err != nil {
		p.logger.Debug("fault proxy: upstream unreachable", "err", err)
		proxyError(w, http.StatusBadGateway, "upstream unreachable")
		return
	}
	p.answer(w, r, f, resp)
}

// answer relays the upstream's answer, or loses it, or delays it.
func (p *FaultProxy) answer(w http.ResponseWriter, r *http.Request, f fault, resp *upstreamResponse) {
	switch f {
	case faultErrorAfter:
		p.serverErrors.Add(1)
		proxyError(w, http.StatusBadGateway, "injected fault: the upstream's answer was lost")
		return
	case faultDropAfter:
		p.drops.Add(1)
		panic(http.ErrAbortHandler)
	case faultSlow:
		p.slow.Add(1)
		timer := time.NewTimer(p.faults.SlowDelay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			return // the sender gave up waiting
		}
	default:
		p.clean.Add(1)
	}
	for k, vs := range resp.header {
		if !hopByHop[http.CanonicalHeaderKey(k)] {
			w.Header()[k] = vs
		}
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

type upstreamResponse struct {
	status int
	header http.Header
	body   []byte
}

func (p *FaultProxy) forward(r *http.Request, body []byte) (*upstreamResponse, error) {
	target := *p.upstream
	target.Path, target.RawQuery = r.URL.Path, r.URL.RawQuery
	req, err := http.NewRequestWithContext(r.Context(), r.Method, target.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, vs := range r.Header {
		if !hopByHop[http.CanonicalHeaderKey(k)] {
			req.Header[k] = vs
		}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxProxyBody))
	if err != nil {
		return nil, err
	}
	return &upstreamResponse{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// hopByHop are the headers a proxy does not pass on (RFC 9110, 7.6.1),
// and Content-Length, which is recomputed.
var hopByHop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true, "Content-Length": true,
}

func proxyError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]map[string]string{"error": {"code": "proxy", "message": msg}})
}
