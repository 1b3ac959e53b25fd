package s360

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/usher-hub/usher"
)

// The seeds' configured push values (the data-analytics reference
// architecture as the venues set it up): every 15 minutes, 500 contacts or
// orders and 2000 checks a run, 50 items a payload, 12 tries. These are
// the simulator's defaults.
const (
	DefaultInterval   = 15 * time.Minute
	DefaultBucketSize = 50
	DefaultMaxTries   = 12
	DefaultTimeout    = 30 * time.Second
)

// DefaultBatchSizes are the seeds' items per run, by stream.
func DefaultBatchSizes() map[usher.Stream]int {
	return map[usher.Stream]int{usher.StreamContacts: 500, usher.StreamOrders: 500, usher.StreamTicketChecks: 2000}
}

// S360BatchSizes are S-360's own defaults of S, items per run, when an
// operator sets nothing: contact and order webhooks 100, data export 500
// (webhook/contact, webhook/order, webhook/dataexport pages).
func S360BatchSizes() map[usher.Stream]int {
	return map[usher.Stream]int{usher.StreamContacts: 100, usher.StreamOrders: 100, usher.StreamTicketChecks: 500}
}

// S360BucketSizes are S-360's own defaults of bs, items per POST: 1 for
// contact and order webhooks, 10 for the data export.
func S360BucketSizes() map[usher.Stream]int {
	return map[usher.Stream]int{usher.StreamContacts: 1, usher.StreamOrders: 1, usher.StreamTicketChecks: 10}
}

// PushConfig is how the simulated S-360 pushes to one receiver.
type PushConfig struct {
	Institution string
	// Target is the receiver's base URL, to which /s360/{stream}/{institution}
	// is appended, or a URL template holding {stream} and {institution}.
	Target string
	Auth   usher.PushAuth
	// Interval is M, the time between two runs of the queues.
	Interval time.Duration
	// BatchSizes is S per stream: the most documents one run delivers.
	BatchSizes map[usher.Stream]int
	// BucketSize is bs: the most documents in one POST.
	BucketSize int
	// BucketSizes, when set for a stream, is that stream's bs.
	BucketSizes map[usher.Stream]int
	// MaxTries is how often one payload is sent before it is given up.
	MaxTries int
	// Timeout bounds one POST; no answer in time counts as a failure.
	Timeout time.Duration
	// Cutoff is the first-time synchronisation date: contacts updated,
	// orders created and checks made before it are never pushed.
	Cutoff time.Time
	// Faults are the sender's injected faults (Duplicate, Reorder); the
	// proxy's are applied by a FaultProxy placed in front of the target.
	Faults Faults
	// Seed makes the fault draws reproducible.
	Seed uint64
}

func (c *PushConfig) defaults() {
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	sizes := DefaultBatchSizes()
	for s, n := range c.BatchSizes {
		sizes[s] = n
	}
	c.BatchSizes = sizes
	if c.BucketSize <= 0 {
		c.BucketSize = DefaultBucketSize
	}
	if c.MaxTries <= 0 {
		c.MaxTries = DefaultMaxTries
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Auth.Mode == "" {
		c.Auth.Mode = usher.AuthNone
	}
	if c.Auth.Mode == usher.AuthAPIKey && c.Auth.Header == "" {
		c.Auth.Header = "X-Api-Key"
	}
}

// StreamURL returns where payloads of stream go.
func (c PushConfig) StreamURL(stream usher.Stream) string {
	if strings.Contains(c.Target, "{stream}") {
		return strings.NewReplacer("{stream}", string(stream), "{institution}", c.Institution).Replace(c.Target)
	}
	return strings.TrimRight(c.Target, "/") + "/s360/" + string(stream) + "/" + c.Institution
}

// Feed is where the documents to push come from.
type Feed interface {
	// Next returns the documents produced since the last call, in time
	// order, and whether the feed has nothing more to produce.
	Next() (events []Event, done bool)
}

// Timeline feeds what a Venue has produced by the time Clock tells,
// stopping at Until (never, when zero).
type Timeline struct {
	Venue *Venue
	Clock func() time.Time
	Until time.Time
}

// Next implements Feed.
func (tl Timeline) Next() ([]Event, bool) {
	now := tl.Clock()
	finite := !tl.Until.IsZero()
	if finite && now.After(tl.Until) {
		now = tl.Until
	}
	return tl.Venue.Until(now), finite && !now.Before(tl.Until)
}

// Simulator is S-360's push side: one queue per stream, processed every
// Interval.
type Simulator struct {
	cfg    PushConfig
	feed   Feed
	client *http.Client
	logger *slog.Logger
	rng    *lockedRand
	queues []*queue

	mu       sync.Mutex
	feedDone bool
	runs     int
}

// New returns a simulator pushing what feed produces. A nil client gets
// one with cfg.Timeout.
func New(cfg PushConfig, feed Feed, client *http.Client, logger *slog.Logger) (*Simulator, error) {
	cfg.defaults()
	if cfg.Institution == "" || cfg.Target == "" {
		return nil, fmt.Errorf("s360 simulator: an institution and a target URL are required")
	}
	if client == nil {
		client = &http.Client{Timeout: cfg.Timeout}
	}
	s := &Simulator{cfg: cfg, feed: feed, client: client, logger: logger, rng: newLockedRand(cfg.Seed)}
	for _, st := range usher.Streams {
		s.queues = append(s.queues, &queue{stream: st, url: cfg.StreamURL(st), latestOnly: st == usher.StreamContacts})
	}
	return s, nil
}

// Config returns the effective configuration, defaults applied.
func (s *Simulator) Config() PushConfig { return s.cfg }

// RunReport says what one run did.
type RunReport struct {
	Run     int
	Streams map[usher.Stream]StreamStats // totals since the start
}

// String is a one-line summary for a terminal.
func (r RunReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "run %d:", r.Run)
	for _, st := range usher.Streams {
		s := r.Streams[st]
		fmt.Fprintf(&b, " %s %d/%d accepted (%d pending, %d given up, %d failed posts);", st, s.Accepted, s.Queued, s.Pending, s.GivenUp, s.FailedPosts)
	}
	return strings.TrimSuffix(b.String(), ";")
}

// RunOnce is one run: queue what the feed produced, then process every
// stream's queue, the streams in parallel.
func (s *Simulator) RunOnce(ctx context.Context) RunReport {
	events, done := s.feed.Next()
	for _, e := range events {
		q := s.queue(e.Stream)
		if e.Created.Before(s.cfg.Cutoff) {
			q.skip()
			continue
		}
		q.add(e)
	}
	var wg sync.WaitGroup
	for _, q := range s.queues {
		wg.Go(func() { s.process(ctx, q) })
	}
	wg.Wait()
	s.mu.Lock()
	s.runs++
	s.feedDone = done
	run := s.runs
	s.mu.Unlock()
	return RunReport{Run: run, Streams: s.Stats()}
}

// Run runs the queues at once and then every Interval until ctx ends, or,
// with untilDrained, until everything the feed will produce was
// delivered or given up. report, if not nil, sees every run.
func (s *Simulator) Run(ctx context.Context, untilDrained bool, report func(RunReport)) error {
	ticker := time.NewTicker(s.cfg.Interval)
	defer ticker.Stop()
	for {
		r := s.RunOnce(ctx)
		if report != nil {
			report(r)
		}
		if untilDrained && s.Drained() {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// Drained reports whether the feed is finished and every queue is empty.
func (s *Simulator) Drained() bool {
	s.mu.Lock()
	done := s.feedDone
	s.mu.Unlock()
	if !done {
		return false
	}
	for _, q := range s.queues {
		if !q.empty() {
			return false
		}
	}
	return true
}

// Stats returns each stream's totals.
func (s *Simulator) Stats() map[usher.Stream]StreamStats {
	out := make(map[usher.Stream]StreamStats, len(s.queues))
	for _, q := range s.queues {
		out[q.stream] = q.snapshot()
	}
	return out
}

func (s *Simulator) queue(st usher.Stream) *queue {
	for _, q := range s.queues {
		if q.stream == st {
			return q
		}
	}
	panic("s360: no queue for stream " + string(st)) // Events only carry usher.Streams
}

// process sends one run's payloads of q, one after the other.
func (s *Simulator) process(ctx context.Context, q *queue) {
	reorder := s.rng.chance(s.cfg.Faults.Reorder)
	bucket := s.cfg.BucketSize
	if n := s.cfg.BucketSizes[q.stream]; n > 0 {
		bucket = n
	}
	for _, p := range q.take(s.cfg.BatchSizes[q.stream], bucket, reorder, s.rng) {
		if ctx.Err() != nil {
			q.requeue(p)
			continue
		}
		err := s.post(ctx, q.url, p.body)
		if err != nil && ctx.Err() != nil {
			q.requeue(p) // stopped, not refused: this try does not count
			continue
		}
		if err != nil {
			s.logger.Warn("payload not accepted; it goes again at the next run",
				"stream", q.stream, "documents", len(p.items), "try", p.tries+1, "err", err)
		}
		if q.settle(p, err == nil, s.cfg.MaxTries, s.rng.chance(s.cfg.Faults.Duplicate)) {
			s.logger.Error("gave up on a payload after the last try: its documents were not synchronised",
				"stream", q.stream, "tries", p.tries, "ids", ids(p.items))
		}
	}
}

// post sends one payload; only a 200 is an acceptance. The answer's body
// is ignored, as S-360 ignores it.
func (s *Simulator) post(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "usher-sim-s360")
	switch a := s.cfg.Auth; a.Mode {
	case usher.AuthBasic:
		req.SetBasicAuth(a.Username, a.Secret)
	case usher.AuthAPIKey:
		req.Header.Set(a.Header, a.Secret)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}

func ids(items []item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.id
	}
	return out
}
