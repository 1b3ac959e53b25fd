package sqlite

import (
	"context"
	"database/sql"
	"os"
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
// (crowded) the checkpointer waits, until the WAL reaches maxDeferredWAL;
// the burst's WAL is copied once it is over.
type checkpointer struct {
	db      *sql.DB
	walPath string
	// crowded says whether writes have queued for the writer since a time.
	crowded func(since time.Time) bool
	stop    context.CancelFunc
	done    chan struct{}
}

// maxDeferredWAL is the WAL size beyond which a checkpoint runs even while
// the writer is crowded.
const maxDeferredWAL = 64 << 20

func startCheckpointer(db *sql.DB, walPath string, crowded func(since time.Time) bool) *checkpointer {
	ctx, stop := context.WithCancel(context.Background())
	c := &checkpointer{db: db, walPath: walPath, crowded: crowded, stop: stop, done: make(chan struct{})}
	go c.run(ctx)
	return c
}

// due says whether to checkpoint now: unless writes queued in the last
// interval and the WAL is still small.
func (c *checkpointer) due(now time.Time) bool {
	if !c.crowded(now.Add(-checkpointEvery)) {
		return true
	}
	st, err := os.Stat(c.walPath)
	return err != nil || st.Size() >= maxDeferredWAL
}

func (c *checkpointer) run(ctx context.Context) {
	defer close(c.done)
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if !c.due(now) {
				continue
			}
			// A failure (a full disk, a read-only file) is the writer's to
			// report; the next tick tries again.
			_, _ = c.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}
}

// close stops the ticks and checkpoints the whole WAL, so a closed
// database is one file.
func (c *checkpointer) close() error {
	c.stop()
	<-c.done
	_, err := c.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}
