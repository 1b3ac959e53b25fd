package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/testdb"
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

// TestServeStoresEachPushOnce is the foundation's end-to-end proof: the
// real binary, on each engine, receives the seed's ticket checks and
// realistic contacts and orders, twice, and holds exactly one copy.
func TestServeStoresEachPushOnce(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			dsn := testdb.DSN(t, engine)
			cfg := writeConfigYAML(t, `
institutions:
  - code: myvenue
    auth: {mode: basic, username: s360, secret_env: E2E_PUSH_SECRET}
`)
			t.Setenv("E2E_PUSH_SECRET", "e2e-secret-value")
			srv := e2eStart(t, "--config", cfg, "--database", dsn)
			want := map[usher.Stream]int{usher.StreamContacts: 2, usher.StreamOrders: 1, usher.StreamTicketChecks: 2}
			for stream := range want {
				body, err := os.ReadFile(filepath.Join("..", "..", "testdata", "s360", string(stream)+".json"))
				if err != nil {
					t.Fatal(err)
				}
				for attempt := range 3 {
					status, resp := srv.post(t, "/s360/"+string(stream)+"/myvenue", body, "s360", "e2e-secret-value")
					if status != 200 {
						t.Fatalf("%s attempt %d: %d %s", stream, attempt, status, resp)
					}
				}
				status, _ := srv.post(t, "/s360/"+string(stream)+"/myvenue", body, "s360", "wrong")
				if status != 401 {
					t.Fatalf("%s with a wrong password: %d, want 401", stream, status)
				}
			}
			metricsBody := get(t, srv.URL+"/metrics")
			if !strings.Contains(metricsBody, `usher_documents_total{institution="myvenue",outcome="duplicate",stream="ticketchecks"} 4`) {
				t.Errorf("metrics lack the duplicate count:\n%s", grep(metricsBody, "usher_documents_total"))
			}
			srv.Stop(t)
			if strings.Contains(srv.stderr.String(), "e2e-secret-value") {
				t.Fatal("the push secret appears in the logs")
			}

			st, err := store.Open(context.Background(), dsn, time.Now)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			for stream, n := range want {
				docs, err := st.FindDocuments(context.Background(), usher.DocumentFilter{Institution: "myvenue", Stream: stream, AllVersions: true})
				if err != nil {
					t.Fatal(err)
				}
				if len(docs) != n {
					t.Errorf("%s: %d stored, want exactly %d", stream, len(docs), n)
				}
			}
		})
	}
}

func TestServeReportsHealth(t *testing.T) {
	srv := e2eStart(t, "--database", testdb.SQLite(t))
	if body := get(t, srv.URL+"/healthz"); !strings.Contains(body, "ok") {
		t.Fatalf("healthz: %s", body)
	}
	if body := get(t, srv.URL+"/readyz"); !strings.Contains(body, "ready") {
		t.Fatalf("readyz: %s", body)
	}
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

// TestServeAppliesTheIngestConfig: ingest.max_documents reaches the push
// handler (issue 16).
func TestServeAppliesTheIngestConfig(t *testing.T) {
	cfg := writeConfigYAML(t, `
ingest:
  max_documents: 2
  writer_saturated_after: 30s
institutions:
  - code: myvenue
    auth: {mode: basic, username: s360, secret_env: E2E_PUSH_SECRET}
`)
	t.Setenv("E2E_PUSH_SECRET", "e2e-secret-value-long")
	srv := e2eStart(t, "--config", cfg, "--database", testdb.SQLite(t))
	two, err := os.ReadFile(filepath.Join("..", "..", "testdata", "s360", "contacts.json"))
	if err != nil {
		t.Fatal(err)
	}
	if status, resp := srv.post(t, "/s360/contacts/myvenue", two, "s360", "e2e-secret-value-long"); status != 200 {
		t.Fatalf("two documents: %d %s", status, resp)
	}
	three := []byte(`[{"contactNumber":"1"},{"contactNumber":"2"},{"contactNumber":"3"}]`)
	if status, resp := srv.post(t, "/s360/contacts/myvenue", three, "s360", "e2e-secret-value-long"); status != 413 || !strings.Contains(resp, "ingest.max_documents") {
		t.Fatalf("three documents over a cap of two: %d %s, want 413 naming ingest.max_documents", status, resp)
	}
}
