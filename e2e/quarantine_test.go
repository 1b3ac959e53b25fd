package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-hub/usher/client"
	"github.com/usher-hub/usher/internal/testdb"
)

const (
	exitCheck  = `{"ticket_check_id":7,"movement_id":1,"ticket_id":2,"barcode":"0","access_time":"2023-02-09 18:25:10","check_flow":"EXIT","result":"OK","failure_reason":"NO_FAIL","gate":"north"}`
	validCheck = `{"ticket_check_id":8,"movement_id":1,"ticket_id":2,"barcode":"0","access_time":"2023-02-09 18:25:11","check_flow":"IN","result":"OK","failure_reason":"NO_FAIL"}`
)

// TestQuarantineEndToEnd runs the server and the CLI on one database: a
// push with a document the schema rejects, the listing over HTTP and on
// the command line, the metrics, then an override and a replay.
func TestQuarantineEndToEnd(t *testing.T) {
	t.Parallel()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			testQuarantineEndToEnd(t, engine)
		})
	}
}

func testQuarantineEndToEnd(t *testing.T, engine string) {
	ctx := context.Background()
	dir := t.TempDir()
	schemaDir := filepath.Join(dir, "schemas")
	if err := os.MkdirAll(schemaDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "usher.yaml")
	writeTestFile(t, cfgPath, "database: "+testdb.DSN(t, engine)+"\nschema_dir: "+schemaDir+
		"\ninstitutions:\n  - code: myvenue\n    auth: {mode: none}\napi_keys:\n  - name: ops\n    secret: ops-key-0123456789\n    institutions: [myvenue]\n")
	c := serve(t, "--config", cfgPath).Client("ops-key-0123456789")

	rc, err := c.Push(ctx, "myvenue", client.StreamTicketChecks, []byte("["+exitCheck+","+validCheck+"]"), client.PushAuth{})
	if err != nil || rc.Stored != 1 || rc.Duplicate != 0 || rc.Quarantined != 1 {
		t.Fatalf("push: %+v %v", rc, err)
	}
	page, err := c.Quarantine(ctx, client.QuarantineQuery{})
	if err != nil || len(page.Items) != 1 || len(page.Items[0].Violations) != 1 ||
		page.Items[0].Violations[0].Message != `expected one of IN, OUT, got string "EXIT"` {
		t.Fatalf("API listing: %+v %v", page, err)
	}
	metrics, err := c.Metrics(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`usher_documents_total{institution="myvenue",outcome="quarantined",stream="ticketchecks"} 1`,
		`usher_schema_unknown_fields_total{doc_type="s360.ticketcheck",institution="myvenue"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	out := runCLI(t, "quarantine", "list", "-config", cfgPath)
	if !strings.Contains(out, `$.check_flow: expected one of IN, OUT, got string "EXIT"`) || !strings.Contains(out, "myvenue") {
		t.Fatalf("quarantine list:\n%s", out)
	}
	if out := runCLI(t, "quarantine", "replay", "-config", cfgPath); !strings.Contains(out, "checked 1 quarantined documents: 0 released (0 stored, 0 already stored), 1 still invalid") {
		t.Fatalf("replay before the fix:\n%s", out)
	}

	writeTestFile(t, filepath.Join(schemaDir, "myvenue", "s360.ticketcheck.yaml"), strings.ReplaceAll(builtinTicketCheck(t), "check_flow: enum(IN, OUT)", "check_flow: enum(IN, OUT, EXIT)"))
	if out := runCLI(t, "quarantine", "replay", "-config", cfgPath, "-institution", "myvenue", "-stream", "ticketchecks"); !strings.Contains(out, "1 released (1 stored, 0 already stored), 0 still invalid") {
		t.Fatalf("replay after the fix:\n%s", out)
	}
	if out := runCLI(t, "quarantine", "replay", "-config", cfgPath); !strings.Contains(out, "checked 0 quarantined documents") {
		t.Fatalf("second replay:\n%s", out)
	}
	var listed struct {
		Items []struct {
			Status         string `json:"status"`
			ReleaseOutcome string `json:"release_outcome"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(runCLI(t, "quarantine", "list", "-config", cfgPath, "-status", "all", "-json")), &listed); err != nil {
		t.Fatal(err)
	}
	if len(listed.Items) != 1 || listed.Items[0].Status != "released" || listed.Items[0].ReleaseOutcome != "stored" {
		t.Fatalf("list -status all -json: %+v", listed)
	}
	// The running server sees what the command released.
	released, err := c.Quarantine(ctx, client.QuarantineQuery{Status: "released"})
	if err != nil || len(released.Items) != 1 || released.Items[0].ReleaseOutcome != "stored" || !strings.Contains(string(released.Items[0].Document), `"ticket_check_id":7`) {
		t.Fatalf("the server sees the release: %+v %v", released, err)
	}
}

// quarantineMany pushes n ticket checks that the built-in schema
// quarantines (check_flow EXIT) to a server it then stops, and allows
// EXIT in schema_dir, so a replay releases all n. It returns the
// configuration file.
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
	srv := serve(t, "--config", cfgPath)
	c := srv.Client("")
	var docs []any
	for i := range n {
		docs = append(docs, json.RawMessage(fmt.Sprintf(`{"ticket_check_id":%d,"movement_id":1,"ticket_id":%d,"barcode":"0","access_time":"2023-02-09 18:25:11","check_flow":"EXIT","result":"OK","failure_reason":"NO_FAIL"}`, 1000+i, i)))
	}
	// In payloads of 500: a push holds at most ingest.max_documents (1,000).
	for start := 0; start < n; start += 500 {
		part := docs[start:min(start+500, n)]
		rc, err := c.PushDocuments(context.Background(), "myvenue", client.StreamTicketChecks, part, client.PushAuth{})
		if err != nil || rc.Quarantined != len(part) {
			t.Fatalf("push: %+v %v", rc, err)
		}
	}
	srv.StopClean(t)
	writeTestFile(t, filepath.Join(schemaDir, "myvenue", "s360.ticketcheck.yaml"),
		strings.ReplaceAll(builtinTicketCheck(t), "check_flow: enum(IN, OUT)", "check_flow: enum(IN, OUT, EXIT)"))
	return cfgPath
}

// TestLongCommandsReportProgress replays 1,500 quarantined documents and
// rebuilds the reports with the built binary: on a terminal (a pty made
// by script(1)) a bar with count and rate; in a pipe one progress line at
// the end; and one summary log line, never one per document.
func TestLongCommandsReportProgress(t *testing.T) {
	t.Parallel()
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

func builtinTicketCheck(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "internal", "schema", "schemas", "s360.ticketcheck.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Replace(string(data), "version: 1", "version: 2", 1)
}

// runCLI runs the built binary with args and returns its standard
// output, failing t unless it exits 0.
func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(usherBin, args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("usher %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.String()
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
