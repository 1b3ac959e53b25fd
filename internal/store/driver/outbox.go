package driver

import (
	"context"
	"encoding/json"
	"time"

	"github.com/usher-hub/usher"
)

// OutboxVerbs are the plain verbs of the outbox area, over the rows of
// outbox_jobs. Which jobs are due, what a lapsed lease or a replay does to
// a job and which errors a caller sees are decided in internal/store.
type OutboxVerbs interface {
	// LockJobOrderKey holds a lock on key until the transaction ends, so
	// that the jobs of one order key commit in the order of their ids. An
	// engine whose writes are serialised already (SQLite) does nothing.
	LockJobOrderKey(ctx context.Context, key string) error
	// InsertJob inserts j unless a job with its institution, kind and
	// idempotency key exists, and returns the job inserted, or none.
	InsertJob(ctx context.Context, j JobInsert) ([]usher.Job, error)
	// JobsByIdempotencyKey returns the job with this institution, kind and
	// idempotency key, or none.
	JobsByIdempotencyKey(ctx context.Context, institution, kind, key string) ([]usher.Job, error)
	// JobsWithLeaseExpired returns the jobs in flight whose lease expired
	// at or before now, locking them (PostgreSQL skips rows that another
	// transaction holds).
	JobsWithLeaseExpired(ctx context.Context, now time.Time) ([]usher.Job, error)
	// ClaimJobs leases up to c.Limit queued jobs due at c.Now, of c.Kinds
	// (any kind when empty), oldest first, each the first unfinished job
	// of its order key, counting an attempt for each, in one statement.
	ClaimJobs(ctx context.Context, c JobClaim) ([]usher.Job, error)
	// UpdateLeasedJob writes u to the job in flight under u.LeaseToken and
	// clears its lease; it returns 0 when no such job is in flight.
	UpdateLeasedJob(ctx context.Context, u JobUpdate) (int64, error)
	// FindJobs returns up to limit jobs matching f, newest first.
	FindJobs(ctx context.Context, f usher.JobFilter, limit int) ([]usher.Job, error)
	// JobsByTrackingID returns the institution's job with this tracking
	// id, or none.
	JobsByTrackingID(ctx context.Context, institution, trackingID string) ([]usher.Job, error)
	// ReplayJobs queues the jobs matching f again at now with no attempt
	// counted, unfinished and marked replayed; it returns how many.
	ReplayJobs(ctx context.Context, f usher.JobFilter, now time.Time) (int64, error)
	// CountJobs counts jobs by institution, kind and state, in that order.
	CountJobs(ctx context.Context) ([]usher.OutboxCount, error)
	// DeleteJobs deletes the jobs in state finished before cutoff.
	DeleteJobs(ctx context.Context, state usher.JobState, cutoff time.Time) (int64, error)
	// RescheduleQueuedJobs moves queued jobs to r.RunAt; see JobReschedule.
	RescheduleQueuedJobs(ctx context.Context, r JobReschedule) (int64, error)
	// CountJobsByPrefix counts an institution's jobs whose order key
	// starts with prefix, by state and by whether their run_at is at or
	// after heldUntil.
	CountJobsByPrefix(ctx context.Context, institution, prefix string, heldUntil time.Time) ([]JobPrefixCount, error)
}

// JobInsert is a new queued job row.
type JobInsert struct {
	TrackingID     string
	Institution    string
	Kind           string
	OrderKey       string
	IdempotencyKey string
	Payload        json.RawMessage
	MaxAttempts    int
	RunAt          time.Time
	Now            time.Time
}

// JobClaim is a lease on due jobs: who takes them, with which fencing
// token, until when.
type JobClaim struct {
	Owner      string
	Token      string
	Kinds      []string
	Limit      int
	Now        time.Time
	LeaseUntil time.Time
}

// JobUpdate is what ends an attempt of a leased job.
type JobUpdate struct {
	ID         int64
	LeaseToken string
	State      usher.JobState
	RunAt      time.Time
	// Error replaces the last error unless empty.
	Error string
	// Result replaces the result unless nil.
	Result json.RawMessage
	// GiveBack is how many attempts to take back (never below none).
	GiveBack   int
	Now        time.Time
	FinishedAt *time.Time
}

// JobReschedule moves the queued jobs of Institution whose order key
// starts with Prefix to RunAt: those whose run_at is at or after HeldUntil
// when Held, the others otherwise.
type JobReschedule struct {
	Institution string
	Prefix      string
	Held        bool
	HeldUntil   time.Time
	RunAt       time.Time
	Now         time.Time
}

// JobPrefixCount is a number of jobs of one state, held or not.
type JobPrefixCount struct {
	State usher.JobState
	Held  bool
	Count int
}

// OutboxLegacy is empty: the outbox's rules live in internal/store.
type OutboxLegacy interface{}

// Autocommitter is an engine that can run a write of one statement
// committed on its own, without a transaction around it: on PostgreSQL
// one round trip instead of three (BEGIN, the statement, COMMIT). The
// store uses it, where an engine has it, for its single-statement writes
// (the outbox's FinishJob is one per job); fn must make exactly one
// statement. An engine without it (SQLite, whose writes all go through
// its writer) gets those writes through InTx.
type Autocommitter interface {
	Autocommit(ctx context.Context, op string, fn func(ctx context.Context, x Executor) error) error
}
