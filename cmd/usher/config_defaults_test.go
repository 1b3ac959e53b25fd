package main

import (
	"strings"
	"testing"
)

// `usher config` prints the effective defaults, not zeros: what the
// server will really use when the file leaves a setting out.
func TestConfigPrintsEffectiveDefaults(t *testing.T) {
	out, _, err := runForTest(t, nil, "config")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"workers: 8", "poll_interval: 500ms", "project_interval: 1s", "session_ttl: 8h0m0s"} {
		if !strings.Contains(out, want) {
			t.Errorf("usher config lacks %q:\n%s", want, out)
		}
	}
}
