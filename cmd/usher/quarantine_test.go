package main

import (
	"bytes"
	"context"
	"testing"
)

// The quarantine end to end (server, listing, replay) is in e2e/.

func TestQuarantineCommandErrors(t *testing.T) {
	getenv := func(string) string { return "" }
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{{"quarantine"}, {"quarantine", "purge"}, {"quarantine", "list", "-status", "gone"},
		{"quarantine", "replay", "-stream", "nope"}} {
		err := run(context.Background(), append([]string{"usher"}, args...), getenv, &stdout, &stderr)
		if err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
}
