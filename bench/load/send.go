package load

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/usher-hub/usher"
)

// Target is where and as whom payloads are pushed.
type Target struct {
	// URL is the server's base URL, such as http://127.0.0.1:8080.
	URL         string
	Institution string
	// User and Password are the institution's basic-auth credentials.
	User, Password string
}

// NewClient returns an HTTP client that keeps one connection per sender
// alive, as S-360 would, instead of the default two per host: otherwise
// the run would measure TCP handshakes.
func NewClient(senders int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = senders
	tr.MaxIdleConnsPerHost = senders
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute}
}

// Push posts one payload and returns the status and body of the answer.
// An error means no answer arrived (connection refused or reset).
func (t Target) Push(ctx context.Context, c *http.Client, p Payload) (int, string, error) {
	url := t.URL + "/s360/" + string(p.Stream) + "/" + t.Institution
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(p.Body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if t.User != "" {
		req.SetBasicAuth(t.User, t.Password)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// Result is what one run of senders measured.
type Result struct {
	Senders  int
	Payloads int
	Docs     int
	Elapsed  time.Duration
	// Latencies holds the acknowledgement time of every payload: from
	// sending the request to reading the whole 200 answer.
	Latencies []time.Duration
	// ByStream holds the same acknowledgement times by stream: a check
	// payload and an order payload do not cost the same, and the tail
	// shows which one it is.
	ByStream map[usher.Stream][]time.Duration
}

// DocsPerSecond is the acknowledged documents per second of wall time.
func (r Result) DocsPerSecond() float64 { return float64(r.Docs) / r.Elapsed.Seconds() }

// Send pushes payloads from senders concurrent senders, each taking the
// next payload as soon as its previous one is acknowledged, as S-360's
// export jobs do. Any answer but 200 stops the run with an error: a
// benchmark that loses payloads measures nothing.
func Send(ctx context.Context, t Target, senders int, payloads []Payload) (Result, error) {
	next := make(chan Payload)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(next)
		for _, p := range payloads {
			select {
			case next <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	return SendFrom(ctx, t, senders, next)
}

// SendFrom is Send for payloads made while sending: it pushes what next
// yields until next is closed or a push fails. After a failure nothing
// reads next any more, so whoever feeds it must also stop on a context
// the caller cancels once SendFrom has returned.
func SendFrom(ctx context.Context, t Target, senders int, next <-chan Payload) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	client := NewClient(senders)
	defer client.CloseIdleConnections()
	res := Result{Senders: senders, ByStream: make(map[usher.Stream][]time.Duration)}
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for range senders {
		wg.Go(func() {
			pprof.Do(ctx, pprof.Labels("side", "client"), func(ctx context.Context) {
				for p := range next {
					if ctx.Err() != nil {
						return // the run has failed
					}
					began := time.Now()
					status, body, err := t.Push(ctx, client, p)
					took := time.Since(began)
					if err == nil && status != http.StatusOK {
						err = fmt.Errorf("push %s: status %d: %s", p.Stream, status, body)
					}
					mu.Lock()
					if err != nil && firstErr == nil {
						firstErr = err
						cancel()
					}
					if err == nil {
						res.Payloads++
						res.Docs += p.Docs
						res.Latencies = append(res.Latencies, took)
						res.ByStream[p.Stream] = append(res.ByStream[p.Stream], took)
					}
					mu.Unlock()
				}
			})
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res, firstErr
}
