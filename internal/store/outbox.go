package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// The outbox's rules, once for every engine: validation and defaults of
// new jobs, the fencing token of a claim, what a lapsed lease does to a
// job (queued again, or the dead letter after its last attempt), what
// finishing and replaying a job write, and holds by order-key prefix.

// findJobsLimit is how many jobs FindJobs lists when the filter says not.
const findJobsLimit = 100

// EnqueueJobs adds jobs in one transaction; see usher.OutboxStore.
func (s *Store) EnqueueJobs(ctx context.Context, jobs []usher.NewJob) ([]usher.Job, error) {
	for _, nj := range jobs {
		if err := nj.Validate(); err != nil {
			return nil, err
		}
	}
	var out []usher.Job
	err := s.d.InTx(ctx, "enqueue jobs", func(ctx context.Context, x driver.Executor) error {
		for _, k := range orderKeyLocks(jobs) {
			if err := x.LockJobOrderKey(ctx, k); err != nil {
				return err
			}
		}
		out = make([]usher.Job, 0, len(jobs))
		now := s.now()
		for _, nj := range jobs {
			j, err := enqueueJob(ctx, x, nj, now)
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return nil
	})
	return out, err
}

// orderKeyLocks names the order keys of jobs once each, sorted, so that
// two transactions locking them never wait for each other in a cycle.
// Identity values are taken at insert but become visible at commit, so
// two concurrent transactions could otherwise commit a key's jobs out of
// id order and a worker run the later one first.
func orderKeyLocks(jobs []usher.NewJob) []string {
	keys := make([]string, 0, len(jobs))
	for _, j := range jobs {
		keys = append(keys, j.Institution+"\n"+j.OrderKey)
	}
	sort.Strings(keys)
	out := keys[:0]
	for i, k := range keys {
		if i == 0 || keys[i-1] != k {
			out = append(out, k)
		}
	}
	return out
}

// enqueueJob inserts one job, or returns the job already enqueued with its
// idempotency key.
func enqueueJob(ctx context.Context, x driver.Executor, nj usher.NewJob, now time.Time) (usher.Job, error) {
	runAt := nj.RunAt
	if runAt.IsZero() {
		runAt = now
	}
	jobs, err := x.InsertJob(ctx, driver.JobInsert{TrackingID: usher.NewTrackingID(), Institution: nj.Institution,
		Kind: nj.Kind, OrderKey: nj.OrderKey, IdempotencyKey: nj.IdempotencyKey, Payload: nj.Payload,
		MaxAttempts: nj.MaxAttempts, RunAt: runAt, Now: now})
	if err == nil && len(jobs) == 0 {
		jobs, err = x.JobsByIdempotencyKey(ctx, nj.Institution, nj.Kind, nj.IdempotencyKey)
	}
	if err != nil {
		return usher.Job{}, err
	}
	if len(jobs) == 0 {
		return usher.Job{}, fmt.Errorf("job %q of %s: neither inserted nor found", nj.IdempotencyKey, nj.Institution)
	}
	return jobs[0], nil
}

// ClaimJobs leases due jobs; see usher.OutboxStore. It is the outbox's hot
// path: one transaction, a read of lapsed leases (none, nearly always) and
// the claim itself, one statement.
func (s *Store) ClaimJobs(ctx context.Context, req usher.ClaimRequest) ([]usher.Job, error) {
	if req.Limit <= 0 {
		return nil, nil
	}
	c := driver.JobClaim{Owner: req.Owner, Token: newLeaseToken(), Kinds: req.Kinds, Limit: req.Limit,
		Now: req.Now, LeaseUntil: req.LeaseUntil}
	var jobs []usher.Job
	err := s.d.InTx(ctx, "claim jobs", func(ctx context.Context, x driver.Executor) error {
		if err := lapseExpiredLeases(ctx, x, req.Now); err != nil {
			return err
		}
		var err error
		jobs, err = x.ClaimJobs(ctx, c)
		return err
	})
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].ID < jobs[b].ID })
	return jobs, err
}

// lapseExpiredLeases returns jobs whose worker let the lease lapse (it
// crashed or hung) to the queue, or to the dead letter when that was
// their last attempt: a job that kills its worker must not do so forever.
func lapseExpiredLeases(ctx context.Context, x driver.Executor, now time.Time) error {
	expired, err := x.JobsWithLeaseExpired(ctx, now)
	if err != nil {
		return err
	}
	for _, j := range expired {
		u := driver.JobUpdate{ID: j.ID, LeaseToken: j.LeaseToken, State: usher.JobQueued, RunAt: now, Now: now,
			Error: "lease of " + j.LeaseOwner + " expired before the attempt finished"}
		if j.Attempts >= j.MaxAttempts {
			u.State, u.FinishedAt = usher.JobFailed, &now
		}
		if _, err := x.UpdateLeasedJob(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

// newLeaseToken returns a random token that fences one claim: only the
// holder of the current token can finish the job.
func newLeaseToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// FinishJob records the end of an attempt; see usher.OutboxStore. Jobs
// finished at the same moment are recorded in one transaction (grouped).
func (s *Store) FinishJob(ctx context.Context, f usher.JobFinish) error {
	return s.finishes.do(ctx, f)
}

// finishJobs records fs in one statement each, in one transaction, and
// says of each whether its lease still held.
func (s *Store) finishJobs(ctx context.Context, fs []usher.JobFinish) ([]error, error) {
	errs := make([]error, len(fs))
	write := s.d.InTx
	if len(fs) == 1 {
		write = s.oneStatement
	}
	err := write(ctx, "finish job", func(ctx context.Context, x driver.Executor) error {
		for i, f := range fs {
			n, err := x.UpdateLeasedJob(ctx, jobUpdate(f))
			if err != nil {
				return err
			}
			errs[i] = nil
			if n == 0 {
				errs[i] = usher.Errorf(usher.ECONFLICT, "job %d: lease lost (it expired and another worker claimed the job)", f.ID)
			}
		}
		return nil
	})
	return errs, err
}

// jobUpdate is what finishing an attempt as f writes.
func jobUpdate(f usher.JobFinish) driver.JobUpdate {
	u := driver.JobUpdate{ID: f.ID, LeaseToken: f.LeaseToken, State: f.State, RunAt: f.RunAt, Error: f.Error,
		Now: f.Now}
	if u.RunAt.IsZero() {
		u.RunAt = f.Now
	}
	if len(f.Result) > 0 {
		u.Result = f.Result
	}
	if f.Snoozed {
		u.GiveBack = 1
	}
	if f.State == usher.JobDone || f.State == usher.JobFailed {
		u.FinishedAt = &f.Now
	}
	return u
}

// FindJobs lists jobs; see usher.OutboxStore.
func (s *Store) FindJobs(ctx context.Context, f usher.JobFilter) ([]usher.Job, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = findJobsLimit
	}
	jobs, err := s.d.FindJobs(ctx, f, limit)
	if err != nil {
		return nil, unavailable("find jobs", err)
	}
	return jobs, nil
}

// JobByTrackingID returns one job; see usher.OutboxStore.
func (s *Store) JobByTrackingID(ctx context.Context, institution, trackingID string) (usher.Job, error) {
	jobs, err := s.d.JobsByTrackingID(ctx, institution, trackingID)
	if err != nil {
		return usher.Job{}, unavailable("find job", err)
	}
	if len(jobs) == 0 {
		return usher.Job{}, usher.Errorf(usher.ENOTFOUND, "no job %q", trackingID)
	}
	return jobs[0], nil
}

// RetryJobs requeues failed jobs, and only those; see usher.OutboxStore.
func (s *Store) RetryJobs(ctx context.Context, f usher.JobFilter, now time.Time) (int, error) {
	f.State = usher.JobFailed
	var n int64
	err := s.oneStatement(ctx, "retry jobs", func(ctx context.Context, x driver.Executor) error {
		var err error
		n, err = x.ReplayJobs(ctx, f, now)
		return err
	})
	return int(n), err
}

// CountJobs counts jobs; see usher.OutboxStore.
func (s *Store) CountJobs(ctx context.Context) ([]usher.OutboxCount, error) {
	return read[[]usher.OutboxCount]("count jobs")(s.d.CountJobs(ctx))
}

// PruneJobs deletes old done jobs, never unfinished or dead ones; see
// usher.OutboxStore.
func (s *Store) PruneJobs(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := s.oneStatement(ctx, "prune jobs", func(ctx context.Context, x driver.Executor) error {
		var err error
		n, err = x.DeleteJobs(ctx, usher.JobDone, cutoff)
		return err
	})
	return int(n), err
}

// oneStatement runs fn, which makes one write statement, committed on its
// own where the engine can (driver.Autocommitter), else in a transaction.
func (s *Store) oneStatement(ctx context.Context, op string, fn func(context.Context, driver.Executor) error) error {
	if a, ok := s.d.(driver.Autocommitter); ok {
		return a.Autocommit(ctx, op, fn)
	}
	return s.d.InTx(ctx, op, fn)
}
