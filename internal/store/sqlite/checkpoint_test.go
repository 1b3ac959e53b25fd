package sqlite

import (
	"os"
	"path/filepath"
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
	c := &checkpointer{walPath: wal, crowded: func(since time.Time) bool { return !queuedAt.Before(since) }}

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
