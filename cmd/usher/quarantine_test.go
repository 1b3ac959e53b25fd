package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-hub/usher/internal/config"
	"github.com/usher-hub/usher/internal/testdb"
)

const (
	exitCheck  = `{"ticket_check_id":7,"movement_id":1,"ticket_id":2,"barcode":"0","access_time":"2023-02-09 18:25:10","check_flow":"EXIT","result":"OK","failure_reason":"NO_FAIL","gate":"north"}`
	validCheck = `{"ticket_check_id":8,"movement_id":1,"ticket_id":2,"barcode":"0","access_time":"2023-02-09 18:25:11","check_flow":"IN","result":"OK","failure_reason":"NO_FAIL"}`
)

// TestQuarantineEndToEnd runs the wired server and the CLI on one
// database: a push with a document the schema rejects, the listing over
// HTTP and on the command line, the metrics, then an override and a replay.
func TestQuarantineEndToEnd(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) { testQuarantineEndToEnd(t, engine) })
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
	getenv := func(string) string { return "" }
	cfg, err := config.Load(cfgPath, getenv)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.handler)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/s360/ticketchecks/myvenue", "application/json", strings.NewReader("["+exitCheck+","+validCheck+"]"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"stored":1,"duplicate":0,"quarantined":1`) {
		t.Fatalf("push: %d %s", resp.StatusCode, body)
	}

	if got := apiGet(t, srv.URL+"/api/v1/quarantine", "ops-key-0123456789"); !strings.Contains(got, `"message":"expected one of IN, OUT, got string \"EXIT\""`) {
		t.Fatalf("API listing: %s", got)
	}
	metrics := apiGet(t, srv.URL+"/metrics", "")
	for _, want := range []string{
		`usher_documents_total{institution="myvenue",outcome="quarantined",stream="ticketchecks"} 1`,
		`usher_schema_unknown_fields_total{doc_type="s360.ticketcheck",institution="myvenue"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	out := runCLI(t, getenv, "quarantine", "list", "-config", cfgPath)
	if !strings.Contains(out, `$.check_flow: expected one of IN, OUT, got string "EXIT"`) || !strings.Contains(out, "myvenue") {
		t.Fatalf("quarantine list:\n%s", out)
	}
	if out := runCLI(t, getenv, "quarantine", "replay", "-config", cfgPath); !strings.Contains(out, "checked 1 quarantined documents: 0 released (0 stored, 0 already stored), 1 still invalid") {
		t.Fatalf("replay before the fix:\n%s", out)
	}

	writeTestFile(t, filepath.Join(schemaDir, "myvenue", "s360.ticketcheck.yaml"), strings.ReplaceAll(builtinTicketCheck(t), "check_flow: enum(IN, OUT)", "check_flow: enum(IN, OUT, EXIT)"))
	if out := runCLI(t, getenv, "quarantine", "replay", "-config", cfgPath, "-institution", "myvenue", "-stream", "ticketchecks"); !strings.Contains(out, "1 released (1 stored, 0 already stored), 0 still invalid") {
		t.Fatalf("replay after the fix:\n%s", out)
	}
	if out := runCLI(t, getenv, "quarantine", "replay", "-config", cfgPath); !strings.Contains(out, "checked 0 quarantined documents") {
		t.Fatalf("second replay:\n%s", out)
	}
	var page struct {
		Items []struct {
			Status         string `json:"status"`
			ReleaseOutcome string `json:"release_outcome"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(runCLI(t, getenv, "quarantine", "list", "-config", cfgPath, "-status", "all", "-json")), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].Status != "released" || page.Items[0].ReleaseOutcome != "stored" {
		t.Fatalf("list -status all -json: %+v", page)
	}
	if got := apiGet(t, srv.URL+"/api/v1/quarantine?status=released", "ops-key-0123456789"); !strings.Contains(got, `"ticket_check_id":7`) {
		t.Fatalf("the server sees the release: %s", got)
	}
}

func TestQuarantineCommandErrors(t *testing.T) {
	getenv := func(string) string { return "" }
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{{"quarantine"}, {"quarantine", "purge"}, {"quarantine", "list", "-status", "gone"},
		{"quarantine", "replay", "-stream", "nope"}} {
		err := run(context.Background(), append([]string{"usher"}, args...), getenv, &stdout, &stderr)
		if err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
}

func builtinTicketCheck(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../internal/schema/schemas/s360.ticketcheck.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Replace(string(data), "version: 1", "version: 2", 1)
}

func runCLI(t *testing.T, getenv func(string) string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), append([]string{"usher"}, args...), getenv, &stdout, &stderr); err != nil {
		t.Fatalf("usher %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.String()
}

func apiGet(t *testing.T, url, key string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, data)
	}
	return string(data)
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
