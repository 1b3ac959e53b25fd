package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// usher migrate builds the indexes of documents.indexed_paths, and drops
// them once they are no longer listed, saying so in its log.
func TestMigrateKeepsIndexedPaths(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "usher.yaml")
	env := map[string]string{"USHER_DATABASE": "sqlite:" + filepath.Join(dir, "u.db"), "USHER_CONFIG": conf}
	write := func(body string) {
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("documents:\n  indexed_paths:\n    - {stream: orders, path: $.orderDetailsData.orderState}\n")
	if _, log, err := runForTest(t, env, "migrate"); err != nil || !strings.Contains(log, "built the index of a document path") {
		t.Fatalf("migrate with a path: %v\n%s", err, log)
	}
	write("{}\n")
	if _, log, err := runForTest(t, env, "migrate"); err != nil || !strings.Contains(log, "dropped the index of a document path no longer configured") {
		t.Fatalf("migrate without it: %v\n%s", err, log)
	}
}
