// Package testdb gives tests a fresh database on each engine: a SQLite file
// in the test's temporary directory, or a new PostgreSQL database created
// from TEST_DATABASE_URL and dropped when the test ends.
//
// Where TEST_DATABASE_URL is unset, Postgres tests skip, unless
// USHER_REQUIRE_POSTGRES=1 or CI=true, where they fail: in CI a skipped
// Postgres test would hide a broken engine.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Engines lists the engines every storage test runs against.
var Engines = []string{"sqlite", "postgres"}

// DSN returns a fresh database of the named engine as a usher database
// setting.
func DSN(t testing.TB, engine string) string {
	t.Helper()
	if engine == "sqlite" {
		return SQLite(t)
	}
	return Postgres(t)
}

// SQLite returns "sqlite:PATH" for a new file in t's temporary directory.
func SQLite(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "usher.db")
}

// Required reports whether Postgres tests must run rather than skip.
func Required() bool {
	return os.Getenv("USHER_REQUIRE_POSTGRES") == "1" || os.Getenv("CI") == "true"
}

// Postgres creates a new database on the server at TEST_DATABASE_URL and
// returns its URL; the database is dropped when t ends.
func Postgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if Required() {
			t.Fatal("TEST_DATABASE_URL is not set, and Postgres tests are required here (CI or USHER_REQUIRE_POSTGRES=1): run `make test`, which finds or starts a server")
		}
		t.Skip("TEST_DATABASE_URL not set: skipping a Postgres test (`make test` sets it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to TEST_DATABASE_URL: %v", err)
	}
	defer admin.Close(ctx)
	name := "usher_test_" + randomHex(6)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
