package usher

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"
)

// JobState is where an outbox job is in its life.
type JobState string

// The states of an outbox job. A job that failed an attempt but will be
// tried again is queued, with its last error and a later RunAt; failed is
// the dead letter: no more attempts until an operator retries it.
const (
	JobQueued   JobState = "queued"
	JobInFlight JobState = "inflight"
	JobDone     JobState = "done"
	JobFailed   JobState = "failed"
)

// JobStates lists the states in their natural order.
var JobStates = []JobState{JobQueued, JobInFlight, JobDone, JobFailed}

// ParseJobState returns the state named s, or an EINVALID error.
func ParseJobState(s string) (JobState, error) {
	for _, st := range JobStates {
		if string(st) == s {
			return st, nil
		}
	}
	return "", Errorf(EINVALID, "unknown job state %q: use queued, inflight, done or failed", s)
}

// The job kinds usher runs through its outbox.
const (
	// KindCRMDelivery posts a stored S-360 document to a CRM destination.
	KindCRMDelivery = "crm.delivery"
	// KindS360SaveContact writes a CRM contact change to S-360.
	KindS360SaveContact = "s360.contact.save"
	// KindS360CreateBooking creates an option or a sale in S-360.
	KindS360CreateBooking = "s360.booking.create"
	// KindS360ImportContact creates a contact of a bulk import in S-360.
	// It is a kind of its own so that imports run in their own worker pool
	// and spend only their share of the rate budget (see ImportReserve).
	KindS360ImportContact = "s360.contact.import"
)

// ImportOrderPrefix starts the order key of every job of an import:
// s360:import:<import id>:<row key>. Pausing an import holds the queued
// jobs under its prefix.
const ImportOrderPrefix = "s360:import:"

// HeldUntil is the run_at of a held (paused) job: far enough that no
// clock reaches it, so no worker of any replica claims the job until it
// is released.
var HeldUntil = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// Job is one unit of work in the outbox: a call to a system outside usher
// that must happen at least once, in order with the other jobs of its
// OrderKey, and never twice in effect (a CRM sees IdempotencyKey; an S-360
// write whose answer was lost is looked up before it is made again).
type Job struct {
	ID int64
	// TrackingID is the job's public identifier, given to API clients.
	TrackingID  string
	Institution string
	Kind        string
	// OrderKey groups jobs that must run one after the other, in the order
	// they were enqueued (the same document to the same destination, the
	// same contact to S-360). Jobs of different keys run in parallel.
	OrderKey string
	// IdempotencyKey identifies the job: a CRM sees it with every attempt
	// (webhook-id), so a retry of a call that did reach it is recognised
	// and not applied twice. S-360 has no such key (see internal/crm).
	IdempotencyKey string
	Payload        json.RawMessage
	State          JobState
	// Attempts counts the attempts started, including one in flight.
	Attempts    int
	MaxAttempts int
	// RunAt is when a queued job becomes due.
	RunAt time.Time
	// LeaseOwner and LeaseExpiresAt describe the claim of an in-flight job.
	// A lease that expires (its worker crashed) makes the job claimable again.
	LeaseOwner     string
	LeaseToken     string
	LeaseExpiresAt *time.Time
	LastError      string
	// Result is what the callee answered to the successful attempt.
	Result json.RawMessage
	// Replayed is set when an operator retried the job from the dead letter.
	Replayed   bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
}

// NewJob describes a job to enqueue.
type NewJob struct {
	Institution    string
	Kind           string
	OrderKey       string
	IdempotencyKey string
	Payload        json.RawMessage
	MaxAttempts    int
	RunAt          time.Time
}

// Validate reports, as an EINVALID error, a job that cannot be enqueued:
// one without an institution, kind, order key or idempotency key, without
// an attempt, or whose payload is not JSON.
func (nj NewJob) Validate() error {
	if nj.Institution == "" || nj.Kind == "" || nj.OrderKey == "" || nj.IdempotencyKey == "" {
		return Errorf(EINVALID, "a job needs an institution, kind, order key and idempotency key")
	}
	if nj.MaxAttempts < 1 {
		return Errorf(EINVALID, "a job needs at least one attempt")
	}
	if !json.Valid(nj.Payload) {
		return Errorf(EINVALID, "job payload is not valid JSON")
	}
	return nil
}

// ClaimRequest asks for due jobs to work on.
type ClaimRequest struct {
	// Owner names the worker, for operators reading the queue.
	Owner string
	// Kinds limits the claim to the kinds this worker can run.
	Kinds []string
	// Limit is the most jobs to claim.
	Limit int
	// Now decides which jobs are due and which leases have expired.
	Now time.Time
	// LeaseUntil is when the claim lapses unless the job is finished.
	LeaseUntil time.Time
}

// JobFinish records the end of one attempt. The store applies it only if
// the claim (ID and LeaseToken) still holds; otherwise it returns an
// ECONFLICT error and changes nothing, because another worker owns the job.
type JobFinish struct {
	ID         int64
	LeaseToken string
	// State is JobDone, JobQueued (try again at RunAt) or JobFailed.
	State JobState
	RunAt time.Time
	Error string
	// Result is stored with a done job.
	Result json.RawMessage
	// Snoozed gives the attempt back: the job was not really tried (rate
	// limit, open circuit), so it must not count towards MaxAttempts.
	Snoozed bool
	Now     time.Time
}

// JobFilter selects jobs to list or retry. Zero fields match everything.
type JobFilter struct {
	Institutions []string
	Kind         string
	State        JobState
	IDs          []int64
	Limit        int
}

// OutboxCount is the number of jobs of one institution, kind and state.
type OutboxCount struct {
	Institution string
	Kind        string
	State       JobState
	Count       int
}

// OutboxStore is the durable job queue every engine provides. Claims are
// exclusive: among any number of workers and processes sharing a
// database, a job is held by at most one of them at a time.
type OutboxStore interface {
	// EnqueueJobs adds jobs in one transaction. A job whose (institution,
	// kind, idempotency key) is already queued or kept returns the existing
	// job instead: a client's retried request enqueues nothing new.
	EnqueueJobs(ctx context.Context, jobs []NewJob) ([]Job, error)
	// ClaimJobs leases due jobs, oldest first, taking only the first
	// unfinished job of each order key, and counts an attempt for each.
	ClaimJobs(ctx context.Context, req ClaimRequest) ([]Job, error)
	// FinishJob records the end of an attempt; see JobFinish.
	FinishJob(ctx context.Context, f JobFinish) error
	// FindJobs lists jobs, newest first.
	FindJobs(ctx context.Context, f JobFilter) ([]Job, error)
	// JobByTrackingID returns one institution's job, or ENOTFOUND.
	JobByTrackingID(ctx context.Context, institution, trackingID string) (Job, error)
	// RetryJobs puts failed jobs matching f back in the queue with their
	// attempts reset and marks them replayed; it returns how many.
	RetryJobs(ctx context.Context, f JobFilter, now time.Time) (int, error)
	// CountJobs counts jobs by institution, kind and state.
	CountJobs(ctx context.Context) ([]OutboxCount, error)
	// PruneJobs deletes done jobs finished before cutoff and returns how many.
	PruneJobs(ctx context.Context, cutoff time.Time) (int, error)
	// HoldJobs pauses (hold) or resumes the queued jobs of an institution
	// whose order key starts with prefix: held jobs get RunAt HeldUntil,
	// released ones RunAt now. It returns how many changed.
	HoldJobs(ctx context.Context, institution, prefix string, hold bool, now time.Time) (int, error)
	// CountJobsByPrefix counts an institution's jobs whose order key
	// starts with prefix, by state; held counts the queued ones on hold.
	CountJobsByPrefix(ctx context.Context, institution, prefix string) (counts map[JobState]int, held int, err error)
}

// NewTrackingID returns a new random public job identifier.
func NewTrackingID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "job_" + hex.EncodeToString(b[:])
}
