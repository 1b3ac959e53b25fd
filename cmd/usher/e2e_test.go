package main

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// e2eBinary returns the real usher binary TestMain built for this run.
func e2eBinary(t *testing.T) string {
	t.Helper()
	if usherBin == "" {
		t.Fatal("the usher binary was not built (TestMain)")
	}
	return usherBin
}

// e2eServer is a running usher process.
type e2eServer struct {
	URL    string
	cmd    *exec.Cmd
	stderr *bytes.Buffer
}

var listenLine = regexp.MustCompile(`listening on (http://\S+)`)

// e2eStart starts `usher serve` on a free loopback port and waits until it
// prints where it listens.
func e2eStart(t *testing.T, args ...string) *e2eServer {
	t.Helper()
	return e2eStartCmd(t, exec.Command(e2eBinary(t)), args...)
}

// e2eStartCmd is e2eStart for a command the caller prepared: another copy
// of the binary, or another user (cmd.SysProcAttr).
func e2eStartCmd(t *testing.T, cmd *exec.Cmd, args ...string) *e2eServer {
	t.Helper()
	cmd.Args = append(append(cmd.Args[:1], "serve", "--listen", "127.0.0.1:0"), args...)
	cmd.Env = append(os.Environ(), "USHER_LOG_LEVEL=debug")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &e2eServer{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(t) })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				lines <- m[1]
			}
		}
		close(lines)
	}()
	select {
	case u, ok := <-lines:
		if !ok {
			t.Fatalf("usher exited before listening: %s", s.stderr)
		}
		s.URL = u
	case <-time.After(60 * time.Second):
		t.Fatalf("usher did not start within 60s: %s", s.stderr)
	}
	return s
}

// Stop interrupts the server and waits for it to exit.
func (s *e2eServer) Stop(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// Kill ends the server with SIGKILL, as a crash or the OOM killer would:
// no shutdown, no request finished, and waits for it to be gone.
func (s *e2eServer) Kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait()
}

func (s *e2eServer) post(t *testing.T, path string, body []byte, user, pass string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func writeConfigYAML(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "usher.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
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
