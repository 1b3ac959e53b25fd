package main

// TestMain builds the real usher binary once for the tests that run it
// (the CLI's); the process tests of the server live in e2e/.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// usherBin is the binary TestMain built for this test run.
var usherBin string

func TestMain(m *testing.M) { os.Exit(buildAndRun(m)) }

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "usher-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	usherBin = filepath.Join(dir, "usher")
	if out, err := exec.Command("go", "build", "-o", usherBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build usher: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}
