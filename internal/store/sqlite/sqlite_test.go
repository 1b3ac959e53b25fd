package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/sqlite"
	"github.com/usher-hub/usher/internal/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) usher.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "usher.db"), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
