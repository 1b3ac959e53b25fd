package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheckpointWaitsWhileWritesQueueUntilTheWALIsLarge(t *testing.T) {
	wal := filepath.Join(t.TempDir(), "c.db-wal")
	if err := os.WriteFile(wal, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	var queuedAt time.Time
	c := &checkpointer{walPath: wal, crowded: func(since time.Time) bool { return !queuedAt.Before(since) }, every: checkpointEvery, maxWAL: maxDeferredWAL}

	if !c.due(now) {
		t.Fatal("no checkpoint with no write queued")
	}
	queuedAt = now.Add(-checkpointEvery / 2)
	if c.due(now) {
		t.Fatal("checkpointed a 1 MiB WAL while writes were queueing")
	}
	if err := os.Truncate(wal, maxDeferredWAL); err != nil {
		t.Fatal(err)
	}
	if !c.due(now) {
		t.Fatal("the WAL grew to maxDeferredWAL and was still not checkpointed")
	}
	if err := os.Truncate(wal, 1<<20); err != nil {
		t.Fatal(err)
	}
	queuedAt = now.Add(-2 * checkpointEvery)
	if !c.due(now) {
		t.Fatal("no checkpoint a whole interval after the last queue")
	}
}

func TestWriterIsCrowdedOnlyWhenWritesShareAGroup(t *testing.T) {
	_, w := openWriter(t)
	start := time.Now()
	w.commit([]*writeJob{job(insert("alone"))})
	if w.crowdedSince(start) {
		t.Fatal("crowded after a lone write")
	}
	w.commit([]*writeJob{job(insert("a")), job(insert("b"))})
	if !w.crowdedSince(start) {
		t.Fatal("not crowded after a group of two writes")
	}
	if w.crowdedSince(time.Now().Add(time.Millisecond)) {
		t.Fatal("crowded since a time after the group")
	}
}

// Under sustained grouped writes, with readers, the WAL file stays within
// a bound: once it passes maxWAL the checkpointer resets it between two
// writer groups. Without the reset, a PASSIVE checkpoint never catches up
// with the writer and the WAL grows by everything written.
func TestWALStaysBoundedUnderSustainedWrites(t *testing.T) {
	const (
		maxWAL  = 256 << 10
		bound   = 32 * maxWAL // 8 MiB
		written = 6 * bound   // bytes of rows written in all
		writers = 8
		perJob  = 16 // rows of 4 KiB a write
	)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.db")
	s, err := open(ctx, path, time.Now, checkpointer{every: 5 * time.Millisecond, maxWAL: maxWAL, resetWAL: maxWAL})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE w (id INTEGER PRIMARY KEY, body BLOB)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var peak atomic.Int64
	sample := func() {
		if st, err := os.Stat(path + "-wal"); err == nil && st.Size() > peak.Load() {
			peak.Store(st.Size()) // racy max; a sample lost to a race is one of thousands
		}
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				var n sql.NullInt64
				if err := s.read.QueryRowContext(ctx, `SELECT max(id) FROM w`).Scan(&n); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	body := make([]byte, 4<<10)
	var writes sync.WaitGroup
	for range writers {
		writes.Go(func() {
			for range written / writers / (perJob * len(body)) {
				err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
					for range perJob {
						if _, err := tx.ExecContext(ctx, `INSERT INTO w (body) VALUES (?)`, body); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				sample()
			}
		})
	}
	writes.Wait()
	close(stop)
	readers.Wait()
	if peak.Load() > bound {
		t.Fatalf("the WAL file grew to %d KiB writing %d KiB of rows; want at most %d KiB", peak.Load()>>10, written>>10, bound>>10)
	}
	t.Logf("WAL peak %d KiB writing %d KiB of rows", peak.Load()>>10, written>>10)
}
