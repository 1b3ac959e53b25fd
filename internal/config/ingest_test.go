package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestIngestLimits(t *testing.T) {
	none := func(string) string { return "" }
	cfg, err := Load("", none)
	if err != nil || cfg.Ingest.Documents() != 1000 || cfg.Ingest.SaturatedAfter() != 15*time.Second {
		t.Fatalf("defaults: %d documents, %s; %v", cfg.Ingest.Documents(), cfg.Ingest.SaturatedAfter(), err)
	}
	path := filepath.Join(t.TempDir(), "usher.yaml")
	write := func(body string) {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ingest:\n  max_documents: 50\n  writer_saturated_after: 20s\n")
	if cfg, err = Load(path, none); err != nil || cfg.Ingest.Documents() != 50 || cfg.Ingest.SaturatedAfter() != 20*time.Second {
		t.Fatalf("set: %d documents, %s; %v", cfg.Ingest.Documents(), cfg.Ingest.SaturatedAfter(), err)
	}
	for body, want := range map[string]string{
		"ingest:\n  max_documents: -1\n":           "ingest.max_documents",
		"ingest:\n  writer_saturated_after: -1s\n": "ingest.writer_saturated_after",
	} {
		write(body)
		if _, err := Load(path, none); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want one naming %s", body, err, want)
		}
	}
}
