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

// TestReplicas opens one database file through several handles, as
// several usher processes on one host would.
func TestReplicas(t *testing.T) {
	storetest.RunReplicas(t, func(t *testing.T, n int) []usher.Store {
		path := filepath.Join(t.TempDir(), "usher.db")
		var out []usher.Store
		for range n {
			s, err := sqlite.Open(context.Background(), path, time.Now)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			out = append(out, store.New(s, time.Now))
		}
		return out
	})
}
