// Package store is usher's storage: the rules of storing, versioning,
// quarantining, erasing, routing and queueing written once (Store), over
// the plain verbs of a SQL engine's driver (internal/store/driver), and
// Open, which picks the engine a database setting names: "sqlite:PATH" for
// the embedded engine, a postgres:// URL for PostgreSQL.
package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/usher-hub/usher/internal/store/driver"
	"github.com/usher-hub/usher/internal/store/postgres"
	"github.com/usher-hub/usher/internal/store/sqlite"
)

// Open opens and migrates the engine named by dsn.
func Open(ctx context.Context, dsn string, now func() time.Time) (*Store, error) {
	d, err := OpenDriver(ctx, dsn, now)
	if err != nil {
		return nil, err
	}
	return New(d, now), nil
}

// OpenDriver opens and migrates the engine named by dsn, without the store
// above it.
func OpenDriver(ctx context.Context, dsn string, now func() time.Time) (driver.Driver, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return sqlite.Open(ctx, strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//"), now)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return postgres.Open(ctx, dsn, now)
	default:
		return nil, fmt.Errorf("database %q: expected sqlite:PATH or postgres://", dsn)
	}
}

// Engine names the engine of dsn: "sqlite" or "postgres".
func Engine(dsn string) string {
	if strings.HasPrefix(dsn, "sqlite:") {
		return "sqlite"
	}
	return "postgres"
}
