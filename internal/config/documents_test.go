package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-hub/usher"
)

func TestIndexedPaths(t *testing.T) {
	none := func(string) string { return "" }
	cfg, err := Load("", none)
	if err != nil || len(cfg.IndexedPaths()) != 0 {
		t.Fatalf("defaults: indexed paths %v, want none; %v", cfg.IndexedPaths(), err)
	}
	path := filepath.Join(t.TempDir(), "usher.yaml")
	load := func(body string) (Config, error) {
		t.Helper()
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return Load(path, none)
	}
	cfg, err = load("documents:\n  indexed_paths:\n    - {stream: orders, path: $.orderDetailsData.orderState}\n    - {stream: contacts, path: \"$.emails[0].address\"}\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []usher.IndexedPath{{Stream: usher.StreamOrders, Path: "$.orderDetailsData.orderState"}, {Stream: usher.StreamContacts, Path: "$.emails[0].address"}}
	if got := cfg.IndexedPaths(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("indexed paths = %+v, want %+v", got, want)
	}
	for body, msg := range map[string]string{
		"documents:\n  indexed_paths:\n    - {stream: orders, path: \"$.a') OR 1=1 --\"}\n":                    "documents.indexed_paths[0]: path",
		"documents:\n  indexed_paths:\n    - {stream: orders, path: email}\n":                                  "it must start with $",
		"documents:\n  indexed_paths:\n    - {stream: ticketchecks, path: $.barcode}\n":                        "documents.indexed_paths[0]: stream ticketchecks",
		"documents:\n  indexed_paths:\n    - {stream: Orders, path: $.a}\n":                                    "a stream name is",
		"documents:\n  indexed_paths:\n    - {path: $.a}\n":                                                    "documents.indexed_paths[0]: stream",
		"documents:\n  indexed_paths:\n    - {stream: orders, path: $.a}\n    - {stream: orders, path: $.a}\n": "documents.indexed_paths[1]: stream orders, path $.a is listed twice",
		"documents:\n  indexed_paths:\n    - {stream: orders, paths: $.a}\n":                                   "field paths not found",
	} {
		if _, err := load(body); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v, want an error with %q", body, err, msg)
		}
	}
}
