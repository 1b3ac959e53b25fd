package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	fx "github.com/usher-hub/usher/internal/analytics/analyticstest"
)

// TestPingFailsWhileTheWriterIsSaturated: another process holding the
// write lock (a long job) made every push fail while /readyz, which pings
// the store, said ready (issue 16). Once writes have waited longer than
// the limit with none committing, Ping fails; once they get through, it
// succeeds again.
func TestPingFailsWhileTheWriterIsSaturated(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usher.db")
	s, err := Open(ctx, path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetWriterSaturatedAfter(300 * time.Millisecond)

	other, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	holder, err := other.BeginTx(ctx, nil) // _txlock=immediate: takes the write lock
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.ExecContext(ctx, `DELETE FROM analytics_pending WHERE institution = 'nobody'`); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("nothing waits yet, but Ping = %v", err)
	}
	pushed := make(chan error, 1)
	go func() {
		_, err := s.SaveGrouped(ctx, []usher.Document{fx.Check(t, fx.Institution, 1, 1, "2023-02-09 10:00:00", "IN", "OK", "NO_FAIL", "")}, time.Now())
		pushed <- err
	}()
	err = waitFor(func() error { return s.Ping(ctx) }, func(err error) bool { return err != nil }, 5*time.Second)
	if usher.ErrorCode(err) != usher.EUNAVAILABLE || !strings.Contains(err.Error(), "writer saturated") {
		t.Fatalf("Ping while a push waited for the lock = %v, want unavailable: writer saturated", err)
	}
	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-pushed; err != nil {
		t.Fatalf("push after the lock was released: %v", err)
	}
	if err := waitFor(func() error { return s.Ping(ctx) }, func(err error) bool { return err == nil }, 5*time.Second); err != nil {
		t.Fatalf("Ping after the push got through = %v", err)
	}
}

// waitFor calls f until done accepts its result or the deadline passes,
// and returns the last result.
func waitFor(f func() error, done func(error) bool, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		err := f()
		if done(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}
