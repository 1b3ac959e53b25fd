package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the server goroutine to write
// while the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// inProcess is `usher serve` run in this process, stopped at cleanup.
type inProcess struct {
	stdout, stderr *lockedBuffer
}

// serveInProcess runs `usher serve --config` with yaml (written to a
// file) and env, and waits until stdout matches ready; it returns the
// first submatch of each pattern in want, in order, once all appear.
func serveInProcess(t *testing.T, yaml string, env map[string]string, want ...*regexp.Regexp) (*inProcess, []string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "usher.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &inProcess{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"usher", "serve", "--config", path}, func(k string) string { return env[k] }, p.stdout, p.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var got []string
		for _, re := range want {
			if m := re.FindStringSubmatch(p.stdout.String()); m != nil {
				got = append(got, m[1])
			}
		}
		if len(got) == len(want) {
			return p, got
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended before it was ready: %v\nstdout: %s\nstderr: %s", err, p.stdout, p.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve not ready after 30 s:\nstdout: %s\nstderr: %s", p.stdout, p.stderr)
	return nil, nil
}
