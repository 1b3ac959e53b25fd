package main

// The end-to-end harness: TestMain builds the real usher binary once, and
// the tests start it as a separate process on a loopback port, kill it,
// restart it on the same database, and read what it stored through
// store.Open.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/sim/s360"
	"github.com/usher-hub/usher/internal/store"
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

// waitTimeout bounds every wait on another process; no assertion depends
// on it unless that process is stuck.
const waitTimeout = 90 * time.Second

// output collects a process's output and wakes whoever waits for a line.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newOutput() *output { return &output{changed: make(chan struct{})} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	close(o.changed)
	o.changed = make(chan struct{})
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor returns the first match of re, waiting for it to be written.
func (o *output) waitFor(t *testing.T, re *regexp.Regexp, exited <-chan struct{}) []string {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		o.mu.Lock()
		m, changed := re.FindStringSubmatch(o.buf.String()), o.changed
		o.mu.Unlock()
		if m != nil {
			return m
		}
		select {
		case <-changed:
		case <-exited:
			t.Fatalf("process exited before printing %s", re)
		case <-deadline.C:
			t.Fatalf("no %s after %s", re, waitTimeout)
		}
	}
}

// process is a running usher binary.
type process struct {
	cmd    *exec.Cmd
	stdout *output
	stderr *output
	exited chan struct{}
	err    error
}

func startProcess(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(usherBin, args...), stdout: newOutput(), stderr: newOutput(), exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("usher %s stderr (tail):\n%s", args[0], tail(p.stderr.String(), 3000))
		}
	})
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

var listeningLine = regexp.MustCompile(`listening on http://(127\.0\.0\.1:\d+)`)

// startUsher runs `usher serve` and returns once it listens.
func startUsher(t *testing.T, cfgPath, dsn, listen string) (*process, string) {
	t.Helper()
	p := startProcess(t, []string{"E2E_PUSH_KEY=" + pushKey}, "serve", "--config", cfgPath, "--database", dsn, "--listen", listen)
	return p, p.stdout.waitFor(t, listeningLine, p.exited)[1]
}

// kill ends the process at once, as a crash or an OOM kill would.
func (p *process) kill() {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// stop asks the process to shut down and waits for a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(waitTimeout):
		t.Fatalf("usher did not stop within %s of SIGTERM", waitTimeout)
	}
	if p.err != nil {
		t.Fatalf("usher exited with %v", p.err)
	}
}

const (
	e2eInstitution = "e2evenue"
	pushKey        = "e2e-push-key-0123456789"
)

// writeConfig writes a configuration with one institution pushing with
// an API key.
func writeConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "usher.yaml")
	cfg := fmt.Sprintf(`institutions:
  - code: %s
    auth: {mode: apikey, header: X-Venue-Key, secret_env: E2E_PUSH_KEY}
`, e2eInstitution)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// expected is what usher must hold: every version of every document,
// by stream and external id, in the order the venue produced them.
type expected map[usher.Stream]map[string][]string

func expect(t *testing.T, events []s360.Event, cutoff time.Time) expected {
	t.Helper()
	exp := expected{}
	for _, st := range usher.Streams {
		exp[st] = map[string][]string{}
	}
	for _, e := range events {
		if e.Created.Before(cutoff) {
			continue
		}
		h, err := usher.HashJSON(e.Raw)
		if err != nil {
			t.Fatal(err)
		}
		exp[e.Stream][e.ExternalID] = append(exp[e.Stream][e.ExternalID], h)
	}
	return exp
}

// verifyStore checks that usher holds exactly exp: the same documents
// (counted, and compared by content hash, recomputed from the stored
// body), every version of a contact, and the latest one as current.
func verifyStore(t *testing.T, dsn string, exp expected) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, stream := range usher.Streams {
		want := exp[stream]
		if len(want) == 0 {
			t.Fatalf("%s: the simulator generated nothing: the test proves nothing", stream)
		}
		current := find(t, st, usher.DocumentFilter{Institution: e2eInstitution, Stream: stream, Limit: 1 << 30})
		if len(current) != len(want) {
			t.Errorf("%s: usher holds %d documents, the simulator generated %d", stream, len(current), len(want))
		}
		for id, hash := range current {
			if versions := want[id]; len(versions) == 0 || hash[0] != versions[len(versions)-1] {
				t.Errorf("%s %s: current version %s, want the latest generated one %v", stream, id, hash, versions)
			}
		}
		all := find(t, st, usher.DocumentFilter{Institution: e2eInstitution, Stream: stream, AllVersions: true, Limit: 1 << 30})
		for id, versions := range want {
			got, wantSorted := all[id], slices.Sorted(slices.Values(versions))
			slices.Sort(got)
			if stream == usher.StreamContacts {
				// A contact push carries the contact as it is at the run:
				// versions superseded before their run are never pushed.
				for _, h := range got {
					if !slices.Contains(wantSorted, h) {
						t.Errorf("%s %s: stored version %s was never generated (%v)", stream, id, h, wantSorted)
					}
				}
				continue
			}
			if !slices.Equal(got, wantSorted) {
				t.Errorf("%s %s: stored versions %v, generated %v", stream, id, got, wantSorted)
			}
		}
		if len(all) != len(want) {
			t.Errorf("%s: %d ids stored, %d generated", stream, len(all), len(want))
		}
	}
}

// find returns the content hashes of the documents f selects, by external
// id, after checking each stored hash against the stored body.
func find(t *testing.T, st usher.Store, f usher.DocumentFilter) map[string][]string {
	t.Helper()
	docs, err := st.FindDocuments(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, d := range docs {
		h, err := usher.HashJSON(d.Raw)
		if err != nil || h != d.Hash {
			t.Fatalf("%s %s: stored body hashes to %s, stored hash %s (%v)", f.Stream, d.ExternalID, h, d.Hash, err)
		}
		out[d.ExternalID] = append(out[d.ExternalID], d.Hash)
	}
	return out
}

func totals(stats map[usher.Stream]s360.StreamStats) s360.StreamStats {
	var sum s360.StreamStats
	for _, s := range stats {
		sum.Queued += s.Queued
		sum.Accepted += s.Accepted
		sum.GivenUp += s.GivenUp
		sum.Pending += s.Pending
		sum.Posts += s.Posts
		sum.FailedPosts += s.FailedPosts
		sum.Duplicates += s.Duplicates
	}
	return sum
}

// waitUntil polls cond until it holds, failing t after timeout. It is for
// waiting on another process (the server, the database), never for
// ordering goroutines of this one.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		<-tick.C
	}
}
