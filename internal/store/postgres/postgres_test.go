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

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) usher.Store {
		s, err := postgres.Open(context.Background(), testdb.Postgres(t), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return store.New(s, time.Now)
	})
}
