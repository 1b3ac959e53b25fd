package sqlite

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"time"
)

// checkpointEvery is how often the checkpointer copies the WAL into the
// database file.
const checkpointEvery = time.Second

// checkpointer copies committed WAL frames into the database file from a
// connection of its own. SQLite's automatic checkpoint runs inside the
// commit that crosses 1,000 WAL pages, on the single writer: with
// synchronous=FULL that commit also waits for the copy and an fsync of
// the database file, and every push queued behind it waited too, the
// slowest acknowledgements of a sustained load (docs/performance.md). A
// PASSIVE checkpoint takes no write lock, so pushes commit while it runs;
// the WAL restarts from its beginning once a checkpoint has caught up.
// Durability is unchanged: a commit is durable in the WAL.
//
// A checkpoint copies a second's worth of WAL into the database file and
// fsyncs it: on two cores, in the middle of a burst, that slowed the
// pushes queued at that moment by 20 to 40 ms, the slowest
// acknowledgements of a run. So while writes queue for the writer
// (crowded) the checkpointer waits, until the WAL reaches maxWAL.
//
// Under a sustained load a PASSIVE checkpoint never catches up: the
// writer appends while it copies, so the WAL never restarts and grows
// without end (12.9 GB after 7 minutes of pushes at 16 senders). So once
// the WAL file reaches resetWAL, the checkpointer copies with PASSIVE again
// until little is left (resetTail), then has the writer wait between
// two groups (groupWriter.between) and checkpoints the rest with
// TRUNCATE, which empties the WAL file: the pushes wait for the copy of
// that rest only. TRUNCATE also waits for readers still reading
// older frames, at most resetBusyTimeout; when they outlast it, the
// next attempt waits until the WAL has doubled, so a long report does
// not stall the writer at every tick.
type checkpointer struct {
	db      *sql.DB
	walPath string
	// crowded says whether writes have queued for the writer since a time.
	crowded func(since time.Time) bool
	// between runs fn between two of the writer's groups, writes waiting
	// (groupWriter.between); nil never resets the WAL.
	between func(fn func()) bool
	// every, maxWAL and resetWAL default to checkpointEvery,
	// maxDeferredWAL and walResetSize; tests set them smaller.
	every    time.Duration
	maxWAL   int64
	resetWAL int64
	// resetAt is the WAL size at which the next reset is tried: resetWAL,
	// or twice the size a reset failed at.
	resetAt int64
	stop    context.CancelFunc
	done    chan struct{}
}

// maxDeferredWAL is the WAL size beyond which a checkpoint runs even while
// the writer is crowded, and the WAL is reset.
const maxDeferredWAL = 64 << 20

// walResetSize is the WAL size at which the writer waits for a reset. A
// reset stalls the pushes queued at that moment for the copy of the rest
// and an fsync: at 64 MiB it came every 1.5 s of a sustained push and
// raised the p99 of a pruning run from 74–89 to 116–140 ms
// (docs/performance.md); at 1 GiB it comes sixteen times less often, and
// the WAL still stays near a gigabyte instead of growing without end.
const walResetSize = 1 << 30

// walSizeLimit is journal_size_limit: the size SQLite cuts a WAL file
// down to when it restarts the WAL by itself (a quiet moment), so one
// burst's WAL does not stay on disk. Below maxDeferredWAL, so a file cut
// down does not look full.
const walSizeLimit = maxDeferredWAL / 4

// resetBusyTimeout bounds how long a reset waits for readers, the writer
// waiting meanwhile.
const resetBusyTimeout = 100 * time.Millisecond

func startCheckpointer(c *checkpointer) *checkpointer {
	ctx, stop := context.WithCancel(context.Background())
	c.stop, c.done = stop, make(chan struct{})
	if c.every <= 0 {
		c.every = checkpointEvery
	}
	if c.maxWAL <= 0 {
		c.maxWAL = maxDeferredWAL
	}
	if c.resetWAL <= 0 {
		c.resetWAL = max(walResetSize, c.maxWAL)
	}
	go c.run(ctx)
	return c
}

// due says whether to checkpoint now: unless writes queued in the last
// interval and the WAL is still small (or cannot be told).
func (c *checkpointer) due(now time.Time) bool {
	size, err := c.walSize()
	return !c.crowded(now.Add(-c.every)) || err != nil || size >= c.maxWAL
}

func (c *checkpointer) walSize() (int64, error) {
	st, err := os.Stat(c.walPath)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func (c *checkpointer) run(ctx context.Context) {
	defer close(c.done)
	tick := time.NewTicker(c.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			c.step(ctx, now)
		}
	}
}

// step is one tick: a PASSIVE checkpoint when due, then a reset of the
// WAL when it is still large. A failure (a full disk, a read-only file)
// is the writer's to report; the next tick tries again.
func (c *checkpointer) step(ctx context.Context, now time.Time) {
	if !c.due(now) {
		return
	}
	left := c.passive(ctx)
	size, err := c.walSize()
	if err != nil || c.between == nil || size < max(c.resetWAL, c.resetAt) {
		return
	}
	// The writer appended while the copy ran: copy that too, while pushes
	// go on, so that they wait only for a small rest.
	for range maxPasses {
		if left <= resetTail {
			break
		}
		left = c.passive(ctx)
	}
	reset := false
	c.between(func() { reset = c.reset(ctx) })
	c.resetAt = c.resetWAL
	if !reset {
		c.resetAt = 2 * size
	}
}

// maxPasses and resetTail bound the PASSIVE copies before a reset: at
// most maxPasses more, until at most resetTail frames (4 MiB of 4 KiB
// pages) are left for the reset to copy while the writer waits.
const (
	maxPasses = 4
	resetTail = 1024
)

// passive runs a PASSIVE checkpoint and returns how many frames of the
// WAL it left uncopied (all it knows of, on an error).
func (c *checkpointer) passive(ctx context.Context) int64 {
	var busy, log, done int64
	if err := c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done); err != nil {
		return 1 << 62
	}
	return log - done
}

// reset checkpoints the whole WAL and truncates it to nothing, readers
// allowing; the writer waits meanwhile. It says whether it did.
func (c *checkpointer) reset(ctx context.Context) bool {
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return false
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = "+strconv.FormatInt(resetBusyTimeout.Milliseconds(), 10)); err != nil {
		return false
	}
	// The connection goes back to the pool with its usual patience, even
	// when ctx ends (the checkpoint at Close uses it).
	defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA busy_timeout = "+strconv.FormatInt(busyTimeout.Milliseconds(), 10))
	var busy, log, done int64
	err = conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &log, &done)
	return err == nil && busy == 0
}

// close stops the ticks and checkpoints the whole WAL, so a closed
// database is one file.
func (c *checkpointer) close() error {
	c.stop()
	<-c.done
	_, err := c.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}
