package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/store/sqlite"
	"github.com/usher-hub/usher/internal/store/storetest"
)

// TestRetention runs the retention cases of the conformance suite until
// storetest.Run calls RunRetention itself (then this file goes).
func TestRetention(t *testing.T) {
	storetest.RunRetention(t, func(t *testing.T) usher.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "usher.db"), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return store.New(s, time.Now)
	})
}
