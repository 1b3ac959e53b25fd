package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/store/postgres"
	"github.com/usher-hub/usher/internal/store/storetest"
	"github.com/usher-hub/usher/internal/testdb"
)

// TestRetention runs the retention cases of the conformance suite until
// storetest.Run calls RunRetention itself (then this file goes).
func TestRetention(t *testing.T) {
	storetest.RunRetention(t, func(t *testing.T) usher.Store {
		s, err := postgres.Open(context.Background(), testdb.Postgres(t), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return store.New(s, time.Now)
	})
}
