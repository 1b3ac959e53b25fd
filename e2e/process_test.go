package e2e

// The process harness of the end-to-end tests: they start the binary
// TestMain built, talk to it over HTTP through the client package, kill
// it, restart it on the same database. Only crash tests read the
// database itself, since what they check is what is on disk.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/usher-hub/usher/client"
)

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
			// The last lines may have been written just before the exit.
			if m := re.FindStringSubmatch(o.String()); m != nil {
				return m
			}
			t.Fatalf("process exited before printing %s:\n%s", re, tail(o.String(), 2000))
		case <-deadline.C:
			t.Fatalf("no %s after %s", re, waitTimeout)
		}
	}
}

// proc is a running usher binary (or any command).
type proc struct {
	// URL is where it listens, once listening was waited for.
	URL    string
	cmd    *exec.Cmd
	stdout *output
	stderr *output
	exited chan struct{}
	err    error
}

// start runs the usher binary with args, its environment this process's
// plus env; it is killed when the test ends.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	return startCmd(t, exec.Command(usherBin, args...), env)
}

// startCmd is start for a command the caller prepared: another copy of
// the binary, or another user (cmd.SysProcAttr).
func startCmd(t *testing.T, cmd *exec.Cmd, env []string) *proc {
	t.Helper()
	p := &proc{cmd: cmd, stdout: newOutput(), stderr: newOutput(), exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("%s stderr (tail):\n%s", strings.Join(cmd.Args, " "), tail(p.stderr.String(), 3000))
		}
	})
	return p
}

var listenLine = regexp.MustCompile(`listening on (http://\S+)`)

// serve runs `usher serve` on a free loopback port with args and returns
// once it listens.
func serve(t *testing.T, args ...string) *proc {
	t.Helper()
	return serveCmd(t, exec.Command(usherBin), nil, args...)
}

// serveEnv is serve with env added to the process's environment.
func serveEnv(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	return serveCmd(t, exec.Command(usherBin), env, args...)
}

// serveCmd is serve for a command the caller prepared (startCmd).
func serveCmd(t *testing.T, cmd *exec.Cmd, env []string, args ...string) *proc {
	t.Helper()
	cmd.Args = append(append(cmd.Args[:1], "serve", "--listen", "127.0.0.1:0"), args...)
	return startCmd(t, cmd, append([]string{"USHER_LOG_LEVEL=debug"}, env...)).listening(t)
}

// listening waits until the process says where it listens.
func (p *proc) listening(t *testing.T) *proc {
	t.Helper()
	p.URL = p.stdout.waitFor(t, listenLine, p.exited)[1]
	return p
}

// Addr is the host:port the process listens on.
func (p *proc) Addr() string { return strings.TrimPrefix(p.URL, "http://") }

// Client returns an API client of the process with apiKey.
func (p *proc) Client(apiKey string) *client.Client { return client.New(p.URL, apiKey) }

// Logs is what the process wrote to stderr so far.
func (p *proc) Logs() string { return p.stderr.String() }

// Kill ends the process at once, as a crash or the OOM killer would: no
// shutdown, no request finished; it returns once the process is gone.
func (p *proc) Kill() {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// Stop interrupts the process and waits for it to exit, killing it if it
// does not within waitTimeout.
func (p *proc) Stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(waitTimeout):
		p.Kill()
	}
}

// StopClean sends SIGTERM and requires a clean exit.
func (p *proc) StopClean(t *testing.T) {
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

// Wait waits for the process to exit by itself.
func (p *proc) Wait(t *testing.T) error {
	t.Helper()
	select {
	case <-p.exited:
		return p.err
	case <-time.After(waitTimeout):
		t.Fatalf("%s still running after %s:\n%s", strings.Join(p.cmd.Args, " "), waitTimeout, tail(p.stdout.String(), 2000))
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// writeConfigYAML writes a configuration file for the test.
func writeConfigYAML(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "usher.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// seed returns a reference S-360 payload of testdata/s360.
func seed(t *testing.T, stream client.Stream) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "s360", string(stream)+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return body
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

func grep(s, substr string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
