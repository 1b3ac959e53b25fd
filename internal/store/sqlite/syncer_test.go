package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// gatedSync is a sync func that waits for the test before it returns.
type gatedSync struct {
	calls   chan struct{}
	release chan error
}

func newGatedSync() gatedSync {
	return gatedSync{calls: make(chan struct{}, 16), release: make(chan error)}
}

func (g gatedSync) sync() error {
	g.calls <- struct{}{}
	return <-g.release
}

func TestPipelinedSyncAnswersAfterTheSyncAndLetsTheNextGroupCommit(t *testing.T) {
	db, _ := openWriter(t)
	g := newGatedSync()
	w := newGroupWriter(db, g.sync)
	defer func() {
		go func() {
			for range g.calls {
				g.release <- nil
			}
		}()
		w.stop()
		close(g.calls)
	}()
	first := make(chan error, 1)
	go func() { first <- w.do(context.Background(), insert("first")) }()
	<-g.calls // "first" is committed, its sync is running
	select {
	case err := <-first:
		t.Fatalf("the write was answered (%v) before the sync after its commit returned", err)
	case <-time.After(50 * time.Millisecond):
	}
	// The writer is not waiting for that sync: the next write commits
	// meanwhile, and readers see both.
	second := make(chan error, 1)
	go func() { second <- w.do(context.Background(), insert("second")) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(names(t, db)) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the second write did not commit while the first one's sync ran")
		}
		time.Sleep(time.Millisecond)
	}
	g.release <- nil
	if err := <-first; err != nil {
		t.Fatalf("first: %v", err)
	}
	<-g.calls // the second write's sync began after its commit
	g.release <- nil
	if err := <-second; err != nil {
		t.Fatalf("second: %v", err)
	}
}

func TestFailedSyncFailsEveryLaterWrite(t *testing.T) {
	db, _ := openWriter(t)
	failing := errors.New("EIO")
	calls := 0
	w := newGroupWriter(db, func() error {
		calls++
		if calls == 1 {
			return failing
		}
		return nil
	})
	defer w.stop()
	if err := w.do(context.Background(), insert("lost")); !errors.Is(err, failing) {
		t.Fatalf("write whose sync failed: %v, want %v", err, failing)
	}
	// A later fsync may succeed without the pages the failed one dropped:
	// nothing after it may be answered durable.
	if err := w.do(context.Background(), insert("after")); !errors.Is(err, failing) {
		t.Fatalf("write after a failed sync: %v, want %v", err, failing)
	}
	if calls != 1 {
		t.Fatalf("synced %d times; a failed store must not sync again", calls)
	}
}

func TestStoreSyncsItsWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(context.Background(), path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Fatalf("the WAL the syncer syncs: %v", err)
	}
	if err := s.writer.syncer.sync(); err != nil {
		t.Fatalf("syncing the WAL: %v", err)
	}
	// The writer commits without waiting for an fsync only because the
	// syncer does it.
	var mode int
	if err := s.writer.do(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&mode)
	}); err != nil {
		t.Fatal(err)
	}
	if mode != 1 {
		t.Fatalf("writer's synchronous = %d, want 1 (NORMAL)", mode)
	}
	if err := syncFile(filepath.Join(t.TempDir(), "missing-wal"))(); err == nil {
		t.Fatal("syncing a missing file succeeded")
	}
}
