package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// A tiny run of the whole program: it measures, checks what it stored and
// prints every table.
func TestRunPrintsEveryTable(t *testing.T) {
	var out, log bytes.Buffer
	args := []string{"-engine", "sqlite", "-senders", "1,2", "-payloads", "6", "-per", "5", "-growth", "1,2", "-dir", t.TempDir()}
	if err := run(context.Background(), args, os.Getenv, &out, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	// Growth rows count the history and the warm-up's two payloads a
	// sender (2 × 16 × 5 documents) as stored before.
	for _, want := range []string{"Machine:", "| sqlite | 1 | 30 |", "| sqlite | 2 | 30 |", "usher CPU / raw CPU", "usher / equivalent CPU", "| sqlite | 190 | 16 |", "| sqlite | 220 | 16 |", "CPU vs first step", "| sqlite | 2 | ticketchecks |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBadFlagsAreExplained(t *testing.T) {
	for _, args := range [][]string{{"-senders", "0"}, {"-per", "51"}, {"-growth", "x"}, {"-streams", "tickets"}} {
		if err := run(context.Background(), args, os.Getenv, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
