package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/usher-hub/usher"
)

// t0 is the suite's clock: outbox calls take explicit times, so the cases
// move time by passing later ones, never by sleeping.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// RunOutbox checks the durable queue: idempotent enqueue, per-key order,
// due times, leases and their expiry, retries, the dead letter and replay.
func RunOutbox(t *testing.T, open OpenFunc) {
	t.Run("EnqueueIsIdempotent", func(t *testing.T) {
		s := fresh(t, open)
		a := enqueue(t, s, newJob("v", "k1", "idem-1"))
		b := enqueue(t, s, newJob("v", "k1", "idem-1"))
		if a.TrackingID != b.TrackingID || a.ID != b.ID {
			t.Fatalf("second enqueue made job %s, want the first, %s", b.TrackingID, a.TrackingID)
		}
		if a.State != usher.JobQueued || a.Attempts != 0 || a.MaxAttempts != 3 {
			t.Fatalf("new job = %+v", a)
		}
		other := enqueue(t, s, newJob("w", "k1", "idem-1"))
		if other.ID == a.ID {
			t.Fatal("the same key in another institution must be another job")
		}
		got, err := s.JobByTrackingID(ctx, "v", a.TrackingID)
		if err != nil || got.ID != a.ID || !sameJSON(got.Payload, `{"n":"idem-1"}`) {
			t.Fatalf("JobByTrackingID = %+v, %v", got, err)
		}
		if _, err := s.JobByTrackingID(ctx, "w", a.TrackingID); usher.ErrorCode(err) != usher.ENOTFOUND {
			t.Fatalf("another institution's tracking id: err = %v, want not_found", err)
		}
	})

	t.Run("InvalidJobEnqueuesNothing", func(t *testing.T) {
		s := fresh(t, open)
		bad := newJob("v", "B", "b1")
		bad.Payload = json.RawMessage(`{"n":`)
		_, err := s.EnqueueJobs(ctx, []usher.NewJob{newJob("v", "A", "a1"), bad})
		if usher.ErrorCode(err) != usher.EINVALID {
			t.Fatalf("enqueue with a job whose payload is not JSON: err = %v, want invalid", err)
		}
		if jobs, err := s.FindJobs(ctx, usher.JobFilter{}); err != nil || len(jobs) != 0 {
			t.Fatalf("after a refused enqueue the queue holds %v, %v; want nothing", ids(jobs), err)
		}
	})

	t.Run("OneJobPerOrderKeyAtATime", func(t *testing.T) {
		s := fresh(t, open)
		a1 := enqueue(t, s, newJob("v", "A", "a1"))
		a2 := enqueue(t, s, newJob("v", "A", "a2"))
		b1 := enqueue(t, s, newJob("v", "B", "b1"))
		got := claim(t, s, t0, 10)
		if ids(got) != fmt.Sprint([]int64{a1.ID, b1.ID}) {
			t.Fatalf("claimed %v, want the first of each key %v", ids(got), []int64{a1.ID, b1.ID})
		}
		if more := claim(t, s, t0, 10); len(more) != 0 {
			t.Fatalf("claimed %v while the keys' first jobs are in flight", ids(more))
		}
		finish(t, s, got[0], usher.JobDone, t0)
		next := claim(t, s, t0, 10)
		if len(next) != 1 || next[0].ID != a2.ID {
			t.Fatalf("after a1 is done claimed %v, want a2 (%d)", ids(next), a2.ID)
		}
	})

	t.Run("RetryWaitsAndBlocksItsKey", func(t *testing.T) {
		s := fresh(t, open)
		first := enqueue(t, s, newJob("v", "A", "a1"))
		second := enqueue(t, s, newJob("v", "A", "a2"))
		j := claim(t, s, t0, 1)[0]
		later := t0.Add(time.Minute)
		mustFinish(t, s, usher.JobFinish{ID: j.ID, LeaseToken: j.LeaseToken, State: usher.JobQueued, RunAt: later, Error: "503 from upstream", Now: t0})
		if got := claim(t, s, t0.Add(30*time.Second), 10); len(got) != 0 {
			t.Fatalf("claimed %v before the retry is due; the second job must wait behind the first", ids(got))
		}
		again := claim(t, s, later, 10)
		if len(again) != 1 || again[0].ID != first.ID || again[0].Attempts != 2 || again[0].LastError != "503 from upstream" {
			t.Fatalf("at the retry time claimed %+v, want job %d on attempt 2 with its last error", again, first.ID)
		}
		finish(t, s, again[0], usher.JobDone, later)
		if got := claim(t, s, later, 10); len(got) != 1 || got[0].ID != second.ID {
			t.Fatalf("claimed %v, want the second job", ids(got))
		}
	})

	t.Run("ExpiredLeaseIsReclaimedAndFenced", func(t *testing.T) {
		s := fresh(t, open)
		enqueue(t, s, newJob("v", "A", "a1"))
		first := claim(t, s, t0, 1)[0]
		if got := claim(t, s, t0.Add(30*time.Second), 1); len(got) != 0 {
			t.Fatal("a job was claimed twice while its lease held")
		}
		second := claim(t, s, t0.Add(2*time.Minute), 1)
		if len(second) != 1 || second[0].ID != first.ID || second[0].Attempts != 2 {
			t.Fatalf("after the lease expired claimed %+v, want job %d again on attempt 2", second, first.ID)
		}
		if want := "lease of test expired before the attempt finished"; second[0].LastError != want {
			t.Fatalf("last error %q, want %q", second[0].LastError, want)
		}
		err := s.FinishJob(ctx, usher.JobFinish{ID: first.ID, LeaseToken: first.LeaseToken, State: usher.JobDone, Now: t0.Add(3 * time.Minute)})
		if usher.ErrorCode(err) != usher.ECONFLICT {
			t.Fatalf("finishing with a lapsed lease: err = %v, want conflict", err)
		}
		finish(t, s, second[0], usher.JobDone, t0.Add(3*time.Minute))
		if j := jobByID(t, s, first.ID); j.State != usher.JobDone || j.Result == nil {
			t.Fatalf("job = %+v, want done by the second claim", j)
		}
	})

	t.Run("LapsedLastAttemptIsDeadLettered", func(t *testing.T) {
		s := fresh(t, open)
		nj := newJob("v", "A", "a1")
		nj.MaxAttempts = 1
		enqueue(t, s, nj)
		j := claim(t, s, t0, 1)[0]
		if got := claim(t, s, t0.Add(2*time.Minute), 1); len(got) != 0 {
			t.Fatalf("reclaimed %v after its last attempt", ids(got))
		}
		if got := jobByID(t, s, j.ID); got.State != usher.JobFailed || got.LastError == "" || got.FinishedAt == nil {
			t.Fatalf("job = %+v, want failed with the lapsed lease as error", got)
		}
	})

	t.Run("SnoozeGivesTheAttemptBack", func(t *testing.T) {
		s := fresh(t, open)
		enqueue(t, s, newJob("v", "A", "a1"))
		for i := range 5 {
			now := t0.Add(time.Duration(i) * time.Second)
			j := claim(t, s, now, 1)[0]
			mustFinish(t, s, usher.JobFinish{ID: j.ID, LeaseToken: j.LeaseToken, State: usher.JobQueued, RunAt: now.Add(time.Second), Snoozed: true, Error: "rate limited", Now: now})
		}
		j := claim(t, s, t0.Add(time.Hour), 1)[0]
		if j.Attempts != 1 {
			t.Fatalf("attempts = %d after five snoozes, want 1", j.Attempts)
		}
	})

	t.Run("DeadLetterListAndReplay", func(t *testing.T) {
		s := fresh(t, open)
		dead := enqueue(t, s, newJob("v", "A", "a1"))
		enqueue(t, s, newJob("v", "B", "b1"))
		enqueue(t, s, newJob("w", "A", "a1"))
		j := claim(t, s, t0, 1)[0]
		mustFinish(t, s, usher.JobFinish{ID: j.ID, LeaseToken: j.LeaseToken, State: usher.JobFailed, Error: "410 Gone", Now: t0})
		failed, err := s.FindJobs(ctx, usher.JobFilter{State: usher.JobFailed, Institutions: []string{"v"}})
		if err != nil || len(failed) != 1 || failed[0].ID != dead.ID || failed[0].LastError != "410 Gone" {
			t.Fatalf("failed jobs = %+v, %v", failed, err)
		}
		counts, err := s.CountJobs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := countOf(counts, "v", usher.JobFailed) + countOf(counts, "v", usher.JobQueued) + countOf(counts, "w", usher.JobQueued); got != 3 {
			t.Fatalf("counts = %+v", counts)
		}
		if n, err := s.RetryJobs(ctx, usher.JobFilter{Institutions: []string{"w"}}, t0); err != nil || n != 0 {
			t.Fatalf("retrying another institution's jobs: %d, %v", n, err)
		}
		if n, err := s.RetryJobs(ctx, usher.JobFilter{IDs: []int64{dead.ID}}, t0.Add(time.Minute)); err != nil || n != 1 {
			t.Fatalf("retry = %d, %v; want 1", n, err)
		}
		again := claim(t, s, t0.Add(time.Minute), 10)
		if len(again) != 3 {
			t.Fatalf("claimed %v, want all three jobs", ids(again))
		}
		if r := jobByID(t, s, dead.ID); !r.Replayed || r.Attempts != 1 {
			t.Fatalf("replayed job = %+v, want replayed on a fresh first attempt", r)
		}
	})

	t.Run("HoldAndReleaseByPrefix", func(t *testing.T) {
		s := fresh(t, open)
		a := enqueue(t, s, newJob("v", "s360:import:one:a", "ia"))
		enqueue(t, s, newJob("v", "s360:import:one:b", "ib"))
		enqueue(t, s, newJob("v", "s360:import:onex:c", "ic")) // another import whose id starts alike
		enqueue(t, s, newJob("w", "s360:import:one:a", "ia"))  // another institution
		j := claim(t, s, t0, 1)[0]                             // a is in flight: a pause leaves it be
		if j.ID != a.ID {
			t.Fatalf("claimed %d, want %d", j.ID, a.ID)
		}
		n, err := s.HoldJobs(ctx, "v", "s360:import:one:", true, t0)
		if err != nil || n != 1 {
			t.Fatalf("hold: %d, %v; want the one queued job of the import", n, err)
		}
		counts, held, err := s.CountJobsByPrefix(ctx, "v", "s360:import:one:")
		if err != nil || held != 1 || counts[usher.JobQueued] != 1 || counts[usher.JobInFlight] != 1 {
			t.Fatalf("counts %v, held %d, %v", counts, held, err)
		}
		finish(t, s, j, usher.JobDone, t0)
		next := claim(t, s, t0.Add(1000*24*time.Hour), 10)
		if len(next) != 2 { // onex:c and w's job, not the held one
			t.Fatalf("claimed %v a thousand days later, want the two jobs not held", ids(next))
		}
		if n, err := s.HoldJobs(ctx, "v", "s360:import:one:", false, t0); err != nil || n != 1 {
			t.Fatalf("release: %d, %v", n, err)
		}
		if got := claim(t, s, t0, 10); len(got) != 1 {
			t.Fatalf("after the release claimed %v, want the held job", ids(got))
		}
	})

	t.Run("PruneKeepsUnfinishedAndDead", func(t *testing.T) {
		s := fresh(t, open)
		for i := range 3 {
			enqueue(t, s, newJob("v", fmt.Sprint("k", i), fmt.Sprint("i", i)))
		}
		jobs := claim(t, s, t0, 3)
		finish(t, s, jobs[0], usher.JobDone, t0)
		finish(t, s, jobs[1], usher.JobFailed, t0)
		if n, err := s.PruneJobs(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("pruned %d, %v; want only the done job", n, err)
		}
		if n, err := s.PruneJobs(ctx, t0.Add(time.Hour)); err != nil || n != 0 {
			t.Fatalf("second prune removed %d, %v", n, err)
		}
	})
}

// RunReplicas checks what several handles on one database (usher
// replicas) must never do: hold the same job at once, or overspend a
// shared rate budget. open returns n stores sharing one database.
func RunReplicas(t *testing.T, open func(t *testing.T, n int) []usher.Store) {
	t.Run("WorkersNeverShareAJob", func(t *testing.T) { replicasNeverShareJobs(t, open(t, 3)) })
	t.Run("SharedRateBudget", func(t *testing.T) { replicasShareRate(t, open(t, 2)) })
}

func newJob(inst, key, idem string) usher.NewJob {
	return usher.NewJob{Institution: inst, Kind: "test.kind", OrderKey: key, IdempotencyKey: idem,
		Payload: json.RawMessage(fmt.Sprintf(`{"n":%q}`, idem)), MaxAttempts: 3, RunAt: t0}
}

func enqueue(t *testing.T, s usher.Store, nj usher.NewJob) usher.Job {
	t.Helper()
	jobs, err := s.EnqueueJobs(context.Background(), []usher.NewJob{nj})
	if err != nil || len(jobs) != 1 {
		t.Fatalf("enqueue: %v, %v", jobs, err)
	}
	return jobs[0]
}

func claim(t *testing.T, s usher.Store, now time.Time, limit int) []usher.Job {
	t.Helper()
	jobs, err := s.ClaimJobs(context.Background(), usher.ClaimRequest{Owner: "test", Limit: limit, Now: now, LeaseUntil: now.Add(time.Minute)})
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	for _, j := range jobs {
		if j.State != usher.JobInFlight || j.LeaseToken == "" || j.LeaseOwner != "test" {
			t.Fatalf("claimed job %+v is not leased", j)
		}
	}
	return jobs
}

func finish(t *testing.T, s usher.Store, j usher.Job, state usher.JobState, now time.Time) {
	t.Helper()
	mustFinish(t, s, usher.JobFinish{ID: j.ID, LeaseToken: j.LeaseToken, State: state, Result: json.RawMessage(`{"ok":true}`), Error: string(state), Now: now})
}

func mustFinish(t *testing.T, s usher.Store, f usher.JobFinish) {
	t.Helper()
	if err := s.FinishJob(context.Background(), f); err != nil {
		t.Fatalf("finish: %v", err)
	}
}

func jobByID(t *testing.T, s usher.Store, id int64) usher.Job {
	t.Helper()
	jobs, err := s.FindJobs(context.Background(), usher.JobFilter{IDs: []int64{id}})
	if err != nil || len(jobs) != 1 {
		t.Fatalf("find job %d: %v, %v", id, jobs, err)
	}
	return jobs[0]
}

func ids(jobs []usher.Job) string {
	out := make([]int64, len(jobs))
	for i, j := range jobs {
		out[i] = j.ID
	}
	return fmt.Sprint(out)
}

func countOf(counts []usher.OutboxCount, inst string, state usher.JobState) int {
	n := 0
	for _, c := range counts {
		if c.Institution == inst && c.State == state {
			n += c.Count
		}
	}
	return n
}

// sameJSON reports whether raw has the content of want; Postgres keeps
// JSONB in its own layout.
func sameJSON(raw json.RawMessage, want string) bool {
	a, errA := usher.HashJSON(raw)
	b, errB := usher.HashJSON([]byte(want))
	return errA == nil && errB == nil && a == b
}
