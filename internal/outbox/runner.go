package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/wait"
)

// Handler runs one attempt of a job of its kind and returns what the
// target answered. It must respect ctx and bound its own calls.
type Handler interface {
	Handle(ctx context.Context, job usher.Job) (json.RawMessage, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, job usher.Job) (json.RawMessage, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, job usher.Job) (json.RawMessage, error) {
	return f(ctx, job)
}

// Config tunes a Runner. Zero fields take the defaults named.
type Config struct {
	// Owner names this worker in leases. Default host-pid.
	Owner string
	// Concurrency is how many attempts run at once. Default 8.
	Concurrency int
	// PollInterval is how often to look for due jobs when idle: jobs
	// enqueued by other processes or falling due wait at most this long.
	// Default 500 ms.
	PollInterval time.Duration
	// Lease is how long a claim holds before another worker may take the
	// job over. It must exceed the longest attempt. Default 2 min.
	Lease time.Duration
	// Backoff spaces retries. Default 5 s doubling to 1 h.
	Backoff Backoff
	// Retention is how long done jobs are kept. Default 7 days; negative
	// disables pruning (another runner of the process prunes).
	Retention time.Duration
	// Grace is how long attempts in flight may finish once Run is asked to
	// stop, so that a clean shutdown records them. Default 10 s.
	Grace time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.Owner == "" {
		host, _ := os.Hostname()
		c.Owner = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 8
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 500 * time.Millisecond
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.Backoff.Base <= 0 {
		c.Backoff.Base, c.Backoff.Max = DefaultBackoff.Base, DefaultBackoff.Max
	}
	if c.Retention == 0 {
		c.Retention = 7 * 24 * time.Hour
	}
	if c.Grace <= 0 {
		c.Grace = 10 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Pruner deletes what the runner's periodic clean-up removes besides old
// jobs (expired echo marks).
type Pruner interface {
	PruneEchoes(ctx context.Context, cutoff time.Time) (int, error)
}

// Runner claims due jobs and runs them.
type Runner struct {
	store    usher.OutboxStore
	handlers map[string]Handler
	kinds    []string
	cfg      Config
	metrics  *metrics.Outbox
	logger   *slog.Logger
	pruner   Pruner
	wake     chan struct{}
}

// New returns a runner of handlers (by job kind) over store.
func New(store usher.OutboxStore, handlers map[string]Handler, cfg Config, m *metrics.Outbox, logger *slog.Logger) *Runner {
	r := &Runner{store: store, handlers: handlers, cfg: cfg.withDefaults(), metrics: m, logger: logger, wake: make(chan struct{}, 1)}
	for k := range handlers {
		r.kinds = append(r.kinds, k)
	}
	if p, ok := store.(Pruner); ok {
		r.pruner = p
	}
	return r
}

// Wake tells the runner new jobs were enqueued, so it looks at once
// instead of at its next poll.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run works off jobs until ctx ends, then lets the attempts in flight
// finish for up to Grace and records them.
//
// Concurrency workers take jobs from a local buffer that the loop keeps
// topped up to twice that many claimed jobs, so claims come in batches:
// one claim per finished job would make the claim's round trip the limit
// on throughput. Jobs still buffered at shutdown are released unstarted.
func (r *Runner) Run(ctx context.Context) error {
	work, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	capacity := 2 * r.cfg.Concurrency
	queue := make(chan usher.Job, capacity)
	done := make(chan struct{}, capacity)
	var wg sync.WaitGroup
	for range r.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				if ctx.Err() != nil {
					r.release(work, j)
				} else {
					r.attempt(work, j)
				}
				done <- struct{}{}
			}
		}()
	}
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	r.prune(ctx)
	held := 0 // claimed and not yet finished: at most capacity, so queue never blocks
	for ctx.Err() == nil {
		want := capacity - held
		got := 0
		if want > 0 {
			jobs, err := r.claim(ctx, want)
			if err != nil && ctx.Err() == nil {
				r.logger.Error("outbox: claim failed; retrying at the next poll", "err", err)
			}
			for _, j := range jobs {
				queue <- j
			}
			held += len(jobs)
			got = len(jobs)
		}
		if got < want || want == 0 {
			held -= r.wait(ctx, done, prune.C)
		}
		held -= drain(done)
	}
	close(queue)
	timer := time.AfterFunc(r.cfg.Grace, stop)
	defer timer.Stop()
	wg.Wait()
	return nil
}

// release gives a claimed job that never started back to the queue, with
// its attempt, so that other workers need not wait for the lease.
func (r *Runner) release(ctx context.Context, j usher.Job) {
	now := r.cfg.Now()
	err := r.store.FinishJob(ctx, usher.JobFinish{ID: j.ID, LeaseToken: j.LeaseToken, State: usher.JobQueued, RunAt: now, Snoozed: true, Now: now})
	if err != nil {
		r.logger.Warn("outbox: could not release a job at shutdown; it runs again when its lease expires", "job", j.TrackingID, "err", err)
	}
}

// wait blocks until a slot frees, a wake-up, the poll interval or the end
// of ctx, and returns how many attempts finished meanwhile.
func (r *Runner) wait(ctx context.Context, done <-chan struct{}, prune <-chan time.Time) int {
	poll := time.NewTimer(r.cfg.PollInterval)
	defer poll.Stop()
	select {
	case <-ctx.Done():
	case <-done:
		return 1
	case <-r.wake:
	case <-poll.C:
	case <-prune:
		r.prune(ctx)
	}
	return 0
}

func drain(done <-chan struct{}) int {
	n := 0
	for {
		select {
		case <-done:
			n++
		default:
			return n
		}
	}
}

// RunOnce claims up to Concurrency due jobs, runs them and records their
// outcomes, and returns how many it ran. Tests drive the runner with it
// one step at a time.
func (r *Runner) RunOnce(ctx context.Context) (int, error) {
	jobs, err := r.claim(ctx, r.cfg.Concurrency)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.attempt(ctx, j)
		}()
	}
	wg.Wait()
	return len(jobs), nil
}

func (r *Runner) claim(ctx context.Context, n int) ([]usher.Job, error) {
	now := r.cfg.Now()
	return r.store.ClaimJobs(ctx, usher.ClaimRequest{
		Owner: r.cfg.Owner, Kinds: r.kinds, Limit: n, Now: now, LeaseUntil: now.Add(r.cfg.Lease),
	})
}

// prune deletes done jobs past retention and expired echo marks.
func (r *Runner) prune(ctx context.Context) {
	if r.cfg.Retention < 0 {
		return
	}
	now := r.cfg.Now()
	if n, err := r.store.PruneJobs(ctx, now.Add(-r.cfg.Retention)); err != nil {
		r.logger.Warn("outbox: prune failed", "err", err)
	} else if n > 0 {
		r.logger.Info("outbox: pruned done jobs", "jobs", n, "older_than", r.cfg.Retention)
	}
	if r.pruner != nil {
		if _, err := r.pruner.PruneEchoes(ctx, now); err != nil {
			r.logger.Warn("outbox: prune echo marks failed", "err", err)
		}
	}
}

// attempt runs one claimed job and records the outcome.
func (r *Runner) attempt(ctx context.Context, j usher.Job) {
	start := time.Now()
	result, err := r.handle(ctx, j)
	f := r.decide(j, result, err)
	outcome := r.record(ctx, j, f)
	r.metrics.Attempts.WithLabelValues(j.Kind, outcome).Inc()
	r.metrics.Duration.WithLabelValues(j.Kind).Observe(time.Since(start).Seconds())
}

func (r *Runner) handle(ctx context.Context, j usher.Job) (result json.RawMessage, err error) {
	h, ok := r.handlers[j.Kind]
	if !ok {
		return nil, Permanent(fmt.Errorf("no handler for job kind %q", j.Kind))
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("handler panicked: %v", v)
		}
	}()
	return h.Handle(ctx, j)
}

// decide turns an attempt's result into the job's next state.
func (r *Runner) decide(j usher.Job, result json.RawMessage, err error) usher.JobFinish {
	now := r.cfg.Now()
	f := usher.JobFinish{ID: j.ID, LeaseToken: j.LeaseToken, Now: now}
	if err == nil {
		f.State, f.Result = usher.JobDone, result
		return f
	}
	f.Error = err.Error()
	if until, ok := asSnooze(err); ok {
		f.State, f.RunAt, f.Snoozed = usher.JobQueued, until, true
		return f
	}
	if asPermanent(err) || j.Attempts >= j.MaxAttempts {
		f.State = usher.JobFailed
		return f
	}
	f.State = usher.JobQueued
	f.RunAt = now.Add(r.cfg.Backoff.Delay(j.Attempts))
	if nb := notBefore(err); nb.After(f.RunAt) {
		f.RunAt = nb
	}
	return f
}

// record stores the outcome, retrying briefly if the database hiccups;
// if it cannot, the lease expires and the job runs again, which its
// idempotency key makes harmless.
func (r *Runner) record(ctx context.Context, j usher.Job, f usher.JobFinish) string {
	outcome := map[usher.JobState]string{usher.JobDone: "done", usher.JobFailed: "failed", usher.JobQueued: "retry"}[f.State]
	if f.Snoozed {
		outcome = "snoozed"
	}
	var err error
	for try := range 3 {
		if err = r.store.FinishJob(ctx, f); err == nil || usher.ErrorCode(err) == usher.ECONFLICT {
			break
		}
		if wait.Sleep(ctx, time.Duration(try+1)*100*time.Millisecond) != nil {
			break
		}
	}
	switch {
	case usher.ErrorCode(err) == usher.ECONFLICT:
		r.logger.Warn("outbox: lease lost; another worker owns the job now", "job", j.TrackingID, "kind", j.Kind)
		return "lease_lost"
	case err != nil:
		r.logger.Error("outbox: could not record an attempt; it will run again when its lease expires", "job", j.TrackingID, "err", err)
		return "unrecorded"
	}
	r.log(j, f, outcome)
	return outcome
}

func (r *Runner) log(j usher.Job, f usher.JobFinish, outcome string) {
	attrs := []any{"job", j.TrackingID, "kind", j.Kind, "institution", j.Institution, "attempt", j.Attempts}
	switch outcome {
	case "failed":
		r.logger.Error("outbox: job failed for good; it is in the dead letter (usher deliveries list --state failed)", append(attrs, "err", f.Error)...)
	case "retry":
		r.logger.Warn("outbox: attempt failed; will retry", append(attrs, "err", f.Error, "retry_at", f.RunAt)...)
	case "snoozed":
		r.logger.Debug("outbox: attempt postponed", append(attrs, "reason", f.Error, "until", f.RunAt)...)
	default:
		r.logger.Debug("outbox: job done", attrs...)
	}
}
