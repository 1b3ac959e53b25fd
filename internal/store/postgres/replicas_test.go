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

// TestReplicas opens one database through several pools, as several usher
// replicas sharing a Postgres server would.
func TestReplicas(t *testing.T) {
	storetest.RunReplicas(t, func(t *testing.T, n int) []usher.Store {
		dsn := testdb.Postgres(t)
		var out []usher.Store
		for range n {
			s, err := postgres.Open(context.Background(), dsn, time.Now)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			out = append(out, store.New(s, time.Now))
		}
		return out
	})
}
