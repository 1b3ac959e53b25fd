package sqlite

import (
	"context"
	"database/sql"
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
type checkpointer struct {
	db   *sql.DB
	stop context.CancelFunc
	done chan struct{}
}

func startCheckpointer(db *sql.DB) *checkpointer {
	ctx, stop := context.WithCancel(context.Background())
	c := &checkpointer{db: db, stop: stop, done: make(chan struct{})}
	go c.run(ctx)
	return c
}

func (c *checkpointer) run(ctx context.Context) {
	defer close(c.done)
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
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
