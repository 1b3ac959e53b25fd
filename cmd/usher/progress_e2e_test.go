package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-hub/usher/internal/config"
)

// quarantineMany pushes n ticket checks that the built-in schema
// quarantines (check_flow EXIT), then allows EXIT in schema_dir, so a
// replay releases all n. It returns the configuration file.
func quarantineMany(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	schemaDir := filepath.Join(dir, "schemas")
	cfgPath := filepath.Join(dir, "usher.yaml")
	if err := os.MkdirAll(schemaDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, cfgPath, "database: sqlite:"+filepath.Join(dir, "u.db")+"\nschema_dir: "+schemaDir+
		"\ninstitutions:\n  - code: myvenue\n    auth: {mode: none}\n")
	cfg, err := config.Load(cfgPath, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.handler)
	var docs []string
	for i := range n {
		docs = append(docs, fmt.Sprintf(`{"ticket_check_id":%d,"movement_id":1,"ticket_id":%d,"barcode":"0","access_time":"2023-02-09 18:25:11","check_flow":"EXIT","result":"OK","failure_reason":"NO_FAIL"}`, 1000+i, i))
	}
	// In payloads of 500: a push holds at most ingest.max_documents (1,000).
	for start := 0; start < n; start += 500 {
		part := docs[start:min(start+500, n)]
		resp, err := http.Post(srv.URL+"/s360/ticketchecks/myvenue", "application/json", strings.NewReader("["+strings.Join(part, ",")+"]"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := fmt.Sprintf(`"quarantined":%d`, len(part)); resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Fatalf("push: %d %s", resp.StatusCode, body)
		}
	}
	srv.Close()
	a.Close()
	writeTestFile(t, filepath.Join(schemaDir, "myvenue", "s360.ticketcheck.yaml"),
		strings.ReplaceAll(builtinTicketCheck(t), "check_flow: enum(IN, OUT)", "check_flow: enum(IN, OUT, EXIT)"))
	return cfgPath
}

// TestLongCommandsReportProgress replays 1,500 quarantined documents and
// rebuilds the reports with the built binary: on a terminal (a pty made
// by script(1)) a bar with count and rate; in a pipe one progress line at
// the end; and one summary log line, never one per document.
func TestLongCommandsReportProgress(t *testing.T) {
	const n = 1500
	cfgPath := quarantineMany(t, n)

	if _, err := exec.LookPath("script"); err == nil {
		// script(1) runs the command on a pseudo-terminal.
		out, err := exec.Command("script", "-qec", usherBin+" quarantine replay --dry-run --config "+cfgPath, "/dev/null").CombinedOutput()
		if err != nil {
			t.Fatalf("replay on a terminal: %v\n%s", err, out)
		}
		for _, want := range []string{fmt.Sprintf("%d/%d", n, n), "documents/s", "100%"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("the terminal's progress bar lacks %q:\n%q", want, out)
			}
		}
	} else {
		t.Log("script(1) is not installed: the terminal bar is not checked")
	}

	cmd := exec.Command(usherBin, "quarantine", "replay", "--config", cfgPath)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("replay: %v\n%s", err, stderr.String())
	}
	if want := fmt.Sprintf("%d released (%d stored", n, n); !strings.Contains(stdout.String(), want) {
		t.Fatalf("replay: %s", stdout.String())
	}
	log := stderr.String()
	if c := strings.Count(log, "quarantine: released"); c > 0 {
		t.Errorf("%d log lines, one per document released:\n%.500s", c, log)
	}
	if c := strings.Count(log, "quarantine: replay done"); c != 1 {
		t.Errorf("%d summary log lines, want 1:\n%s", c, log)
	}
	if want := fmt.Sprintf("quarantine replay: %d/%d documents (100%%)", n, n); !strings.Contains(log, want) {
		t.Errorf("no progress line %q:\n%s", want, log)
	}
	if lines := strings.Count(log, "\n"); lines > 10 {
		t.Errorf("%d lines on stderr for one replay", lines)
	}

	out, err := exec.Command(usherBin, "report", "rebuild", "--institution", "myvenue", "--config", cfgPath).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "rebuild myvenue: ") || !strings.Contains(string(out), "steps (100%)") {
		t.Fatalf("rebuild: %v\n%s", err, out)
	}
}
