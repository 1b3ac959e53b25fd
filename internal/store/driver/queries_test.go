package driver

import (
	"testing"
	"testing/fstest"
)

func TestLoadQueries(t *testing.T) {
	fsys := fstest.MapFS{"q/a.sql": {Data: []byte("-- The file's heading.\n\n-- name: One\nSELECT 1;\n\n-- Two's heading.\n-- name: Two :many\nSELECT 2\nFROM t;\n")}}
	q := LoadQueries(fsys, "q")
	if q.Get("One") != "SELECT 1" || q.Get("Two") != "SELECT 2\nFROM t" {
		t.Fatalf("queries = %q", q)
	}
}

func TestLoadQueriesRefusesDuplicatesAndOrphans(t *testing.T) {
	for name, text := range map[string]string{
		"twice":  "-- name: A\nSELECT 1;\n-- name: A\nSELECT 2;",
		"orphan": "SELECT 1;\n-- name: A\nSELECT 2;",
		"empty":  "-- name: A\n-- name: B\nSELECT 2;",
	} {
		if err := (Queries{}).parse(name, text); err == nil {
			t.Errorf("%s: parsed without an error", name)
		}
	}
}
