package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// repoRoot is the repository's top directory; usherBin the binary built
// from it for this run.
var repoRoot, usherBin string

func TestMain(m *testing.M) { os.Exit(buildAndRun(m)) }

func buildAndRun(m *testing.M) int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	repoRoot = filepath.Dir(wd)
	dir, err := os.MkdirTemp("", "usher-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	usherBin = filepath.Join(dir, "usher")
	cmd := exec.Command("go", "build", "-o", usherBin, "./cmd/usher")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build usher: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// waitTimeout bounds every wait on another process; nothing asserts on
// it unless that process is stuck.
const waitTimeout = 90 * time.Second

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// server is a running usher process.
type server struct {
	URL string
	mu  sync.Mutex
	log strings.Builder
}

func (s *server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// startServer starts cmd (an `usher serve`) and waits until it says where
// it listens; it is stopped with SIGTERM when the test ends.
func startServer(t *testing.T, cmd *exec.Cmd) *server {
	t.Helper()
	return startProcess(t, cmd, listening)
}

// startProcess starts cmd and waits until a line of its standard output
// matches ready, whose first group becomes the server's URL.
func startProcess(t *testing.T, cmd *exec.Cmd, ready *regexp.Regexp) *server {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{}
	cmd.Stderr = writerFunc(func(p []byte) (int, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.log.Write(p)
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := ready.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	select {
	case s.URL = <-found:
		return s
	case <-ctx.Done():
		t.Fatalf("%s did not print a line matching %s:\n%s", cmd.Args, ready, s.Log())
	}
	return nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
