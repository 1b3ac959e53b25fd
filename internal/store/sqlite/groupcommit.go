package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// maxGroup bounds how many write transactions one commit carries, so a
// burst never builds one huge transaction.
const maxGroup = 64

// errClosed is returned to writes that arrive after Close.
var errClosed = errors.New("store closed")

// groupWriter is SQLite's single writer with group commit. A durable
// commit waits for an fsync of the WAL, which costs more than writing a
// 50-document payload (docs/performance.md). Writes that queue up while a
// commit is in progress are therefore run together in one transaction,
// each inside its own SAVEPOINT, and made durable by one commit. A write
// that fails is rolled back to its savepoint alone and answered at once;
// a failed COMMIT fails every write of the group, none of which was
// answered yet. A lone write is committed at once: nothing waits to fill
// a group.
//
// With a syncer (pipelined sync), the writer's connection commits without
// waiting for the fsync (synchronous=NORMAL) and the syncer makes the WAL
// durable while the writer goes on with the next group; a group is
// answered only once an fsync that began after its COMMIT has returned.
// Without one, COMMIT itself waits (synchronous=FULL).
type groupWriter struct {
	db     *sql.DB
	syncer *syncer // nil: COMMIT is durable by itself
	jobs   chan *writeJob
	// solo carries work run between two groups, writes waiting (between).
	solo  chan func()
	quit  chan struct{}
	done  chan struct{}
	close sync.Once
	// crowdedAt is when a group last carried more than one write (Unix
	// nanoseconds): writes were queueing for the writer.
	crowdedAt atomic.Int64
	// waiting counts the writes handed to do that the writer has not
	// taken yet; progressAt is when the writer last committed a group or
	// had nothing to do (Unix nanoseconds). Together they tell a writer
	// that is saturated: writes wait and none gets through.
	waiting    atomic.Int64
	progressAt atomic.Int64
}

// saturatedFor returns how long writes have been waiting for the writer
// without any write committing (the lock held by another process, such as
// a long job, or a commit that hangs), or 0 when none waits or the writer
// is making progress.
func (w *groupWriter) saturatedFor(now time.Time) time.Duration {
	if w.waiting.Load() == 0 {
		return 0
	}
	return max(0, now.Sub(time.Unix(0, w.progressAt.Load())))
}

// crowdedSince says whether writes have queued for the writer since t.
func (w *groupWriter) crowdedSince(t time.Time) bool {
	return w.crowdedAt.Load() >= t.UnixNano()
}

// writeJob is one write transaction's body and where its result goes.
type writeJob struct {
	ctx    context.Context
	fn     func(context.Context, *sql.Tx) error
	result chan error // buffered: the writer never blocks on a reply
}

// newGroupWriter starts the writer on db; sync, when not nil, makes
// committed transactions durable (see groupWriter).
func newGroupWriter(db *sql.DB, sync func() error) *groupWriter {
	w := &groupWriter{db: db, jobs: make(chan *writeJob), solo: make(chan func()), quit: make(chan struct{}), done: make(chan struct{})}
	w.progressAt.Store(time.Now().UnixNano())
	if sync != nil {
		w.syncer = startSyncer(sync)
	}
	go w.loop()
	return w
}

// do runs fn in a write transaction and returns once it is committed (nil)
// or rolled back (the error). Giving up (ctx) is possible only until the
// writer takes the job: after that, the answer says what happened.
//
// fn receives ctx without its cancellation: a statement interrupted by a
// request that gave up would make SQLite roll back the whole transaction,
// and with it the other writes of the group. Values (and pprof labels)
// carry over.
func (w *groupWriter) do(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	job := &writeJob{ctx: context.WithoutCancel(ctx), fn: fn, result: make(chan error, 1)}
	w.waiting.Add(1)
	defer w.waiting.Add(-1)
	select {
	case w.jobs <- job:
	case <-w.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-job.result
}

// between runs fn on the writer's goroutine between two groups: no write
// transaction of the writer is open while it runs, and writes wait until
// it returns. It returns false, without running fn, once the writer has
// stopped. The checkpointer resets the WAL this way (checkpoint.go).
func (w *groupWriter) between(fn func()) bool {
	ran := make(chan struct{})
	select {
	case w.solo <- func() { defer close(ran); fn() }:
	case <-w.quit:
		return false
	}
	<-ran
	return true
}

// stop lets the writer finish the group in progress and waits for it.
func (w *groupWriter) stop() {
	w.close.Do(func() { close(w.quit) })
	<-w.done
}

func (w *groupWriter) loop() {
	defer close(w.done)
	if w.syncer != nil {
		// Runs before done closes: stop returns once every committed
		// write has been answered.
		defer w.syncer.stop()
	}
	for {
		select {
		case <-w.quit:
			return
		case job := <-w.jobs:
			w.commit(w.gather(job))
			continue
		case fn := <-w.solo:
			fn()
			continue
		default:
		}
		w.progressAt.Store(time.Now().UnixNano()) // idle: nothing waits
		select {
		case <-w.quit:
			return
		case job := <-w.jobs:
			w.commit(w.gather(job))
		case fn := <-w.solo:
			fn()
		}
	}
}

// gather adds to first every write already waiting, without waiting for more.
func (w *groupWriter) gather(first *writeJob) []*writeJob {
	group := []*writeJob{first}
	for len(group) < maxGroup {
		select {
		case job := <-w.jobs:
			group = append(group, job)
		default:
			return group
		}
	}
	return group
}

// commit runs group in one transaction. Its context is not any request's:
// a request that gives up must not interrupt the others' statements.
func (w *groupWriter) commit(group []*writeJob) {
	if err := w.syncer.failed(); err != nil {
		answer(group, err)
		return
	}
	if len(group) > 1 {
		w.crowdedAt.Store(time.Now().UnixNano())
	}
	ctx := context.Background()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		answer(group, err)
		return
	}
	defer tx.Rollback()
	var ok []*writeJob
	for i, job := range group {
		fnErr, txErr := runSavepoint(ctx, tx, job)
		if txErr != nil {
			// The transaction itself is gone (SQLite rolls it back whole on
			// some I/O errors and on interrupts): nothing of the group
			// commits. The first failure says why, so every write carries it.
			if fnErr != nil {
				txErr = fmt.Errorf("%v; then %w", fnErr, txErr)
			}
			answer(append(ok, group[i:]...), txErr)
			return
		}
		if fnErr != nil {
			job.result <- fnErr
			continue
		}
		ok = append(ok, job)
	}
	if err := tx.Commit(); err != nil {
		answer(ok, fmt.Errorf("commit: %w", err))
		return
	}
	w.progressAt.Store(time.Now().UnixNano())
	if w.syncer != nil {
		w.syncer.add(ok)
		return
	}
	answer(ok, nil)
}

// runSavepoint runs job's fn inside a savepoint and rolls back to it when fn
// fails. fnErr is fn's error; txErr says the enclosing transaction can no
// longer be trusted.
func runSavepoint(ctx context.Context, tx *sql.Tx, job *writeJob) (fnErr, txErr error) {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT usher_write"); err != nil {
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	if fnErr = job.fn(job.ctx, tx); fnErr != nil {
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO usher_write"); err != nil {
			return fnErr, fmt.Errorf("rollback to savepoint: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, "RELEASE usher_write"); err != nil {
		return fnErr, fmt.Errorf("release savepoint: %w", err)
	}
	return fnErr, nil
}

func answer(jobs []*writeJob, err error) {
	for _, job := range jobs {
		job.result <- err
	}
}
