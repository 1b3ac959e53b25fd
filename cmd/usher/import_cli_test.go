package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/crm"
	"github.com/usher-hub/usher/internal/testdb"
)

// cliConfig writes a configuration for the command line over the
// harness's database and S-360 API.
func cliConfig(t *testing.T, h *harness) string {
	return writeConfigYAML(t, fmt.Sprintf(`
database: %q
institutions:
  - code: myvenue
    auth: {mode: none}
    s360_api:
      base_url: %q
      operator: MYVENUE_CRM
      partner: usher
      secret: %q
      rate_limit: 600
`, h.app.cfg.Database, h.app.cfg.Institutions[0].S360API.BaseURL, s360Secret))
}

func runUsher(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"usher"}, args...), func(string) string { return "" }, &out, &errOut)
	return out.String() + errOut.String(), err
}

// TestContactImportPauseResume runs `usher contacts import` as an
// operator does: queue a file, pause it (no worker of any replica may
// claim its rows, none is lost), resume it, re-run the file (nothing
// queued twice) and follow it to the end; S-360 then holds each contact
// once. The rejects file names each bad row's line and reason.
func TestContactImportPauseResume(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine, harnessOptions{simLimit: 600, simWindow: time.Minute})
			cfg := cliConfig(t, h)
			var csv bytes.Buffer
			csv.WriteString("Id,E-Mail,First Name,Last Name,Phone\n")
			const n = 2000
			for i := range n {
				fmt.Fprintf(&csv, "p-%d,pause%d@example.org,Paul,%d,\n", i, i, i)
			}
			csv.WriteString("p-bad,pause-bad@,Bad,Email,\n")
			path := filepath.Join(t.TempDir(), "contacts.csv")
			if err := os.WriteFile(path, csv.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := runUsher(t, "contacts", "import", "--config", cfg, "--institution", "myvenue", "--id", "p1", "--paused", path)
			if err != nil || !strings.Contains(out, fmt.Sprintf("%d accepted", n)) || !strings.Contains(out, "1 rejected") {
				t.Fatalf("import: %v\n%s", err, out)
			}
			noClaim := func() {
				claimed, err := h.app.store.ClaimJobs(context.Background(), usher.ClaimRequest{Owner: "test", Kinds: []string{usher.KindS360ImportContact},
					Limit: n, Now: time.Now().Add(24 * time.Hour), LeaseUntil: time.Now().Add(25 * time.Hour)})
				if err != nil || len(claimed) != 0 {
					t.Fatalf("a worker a day later claimed %d held rows (%v): a paused import must not run", len(claimed), err)
				}
			}
			noClaim()
			if out, err = runUsher(t, "contacts", "import", "--config", cfg, "--institution", "myvenue", "--resume", "p1"); err != nil || !strings.Contains(out, fmt.Sprintf("%d queued rows resumed", n)) {
				t.Fatalf("resume: %v\n%s", err, out)
			}
			waitFor(t, time.Minute, "the import under way", func() bool { return importDone(t, h, "p1") >= 100 })
			if out, err = runUsher(t, "contacts", "import", "--config", cfg, "--institution", "myvenue", "--pause", "p1"); err != nil {
				t.Fatalf("pause: %v\n%s", err, out)
			}
			var counts map[usher.JobState]int
			var held int
			waitFor(t, time.Minute, "the attempts under way to finish", func() bool {
				counts, held, err = h.app.store.CountJobsByPrefix(context.Background(), "myvenue", crm.ImportPrefix("p1"))
				if err != nil {
					t.Fatal(err)
				}
				return counts[usher.JobInFlight] == 0 && counts[usher.JobQueued] == held
			})
			if held == 0 || counts[usher.JobDone]+held != n {
				t.Fatalf("after the pause: %v, %d held; want every row done or held, some held", counts, held)
			}
			noClaim()
			t.Logf("paused with %d rows done and %d held", counts[usher.JobDone], held)
			if out, err = runUsher(t, "contacts", "import", "--config", cfg, "--institution", "myvenue", "--resume", "p1"); err != nil || !strings.Contains(out, fmt.Sprintf("%d queued rows resumed", held)) {
				t.Fatalf("resume: %v\n%s", err, out)
			}
			out, err = runUsher(t, "contacts", "import", "--config", cfg, "--institution", "myvenue", "--id", "p1", "--poll", "50ms", path)
			if err != nil || !strings.Contains(out, fmt.Sprintf("%d accepted (%d of them queued by an earlier run)", n, n)) || !strings.Contains(out, fmt.Sprintf("%d done, 0 failed", n)) {
				t.Fatalf("re-run: %v\n%s", err, out)
			}
			h.settle()
			if got := h.sim.ContactCount("MYVENUE"); got != n {
				t.Fatalf("S-360 holds %d contacts, want %d", got, n)
			}
			raw, err := os.ReadFile(path + ".rejected.jsonl")
			if err != nil {
				t.Fatal(err)
			}
			var rej rejectedRow
			if err := json.Unmarshal(bytes.TrimSpace(raw), &rej); err != nil || rej.Line != n+2 || len(rej.Reasons) == 0 || rej.Reasons[0].Path != "$.contact.email" {
				t.Fatalf("rejects file: %v\n%s", err, raw)
			}
		})
	}
}

// TestPlanCommand prints the plan as text and as JSON, from counts and
// from a file.
func TestPlanCommand(t *testing.T) {
	h := newHarness(t, testdb.Engines[0], harnessOptions{simLimit: 180, simWindow: time.Minute})
	cfg := cliConfig(t, h)
	out, err := runUsher(t, "plan", "--config", cfg, "--institution", "myvenue", "--contacts", "100000", "--json")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, out)
	}
	var p usher.LoadPlan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("plan --json: %v\n%s", err, out)
	}
	// 600 in the configuration: 2,000 calls at 450 a minute (600 less 20 %
	// reserve and 5 % headroom, spent as the limiter spends it).
	if p.Calls != 2000 || p.Seconds < 260 || p.Seconds > 270 || p.Batch != 50 {
		t.Fatalf("plan of 100,000 contacts: %+v", p)
	}
	path := filepath.Join(t.TempDir(), "c.jsonl")
	body := `{"contact":{"email":"a@example.org","individualContact":{"firstName":"A","lastName":"B"}}}
{"contact":{"email":"b@example.org","cellPhoneNumber":"+41 79 000 0000"},"reference":"crm-b"}
{"contact":{"email":"broken"}}
`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runUsher(t, "plan", "--config", cfg, "--institution", "myvenue", "--file", path)
	if err != nil || !strings.Contains(out, "2 new contacts (1 with fields beyond e-mail and names)") || !strings.Contains(out, "calls:        2 ") {
		t.Fatalf("plan --file: %v\n%s", err, out)
	}
	if _, err := runUsher(t, "plan", "--config", cfg, "--institution", "nowhere", "--contacts", "1"); err == nil || !strings.Contains(err.Error(), "--institution nowhere") {
		t.Fatalf("plan for an unknown institution: %v", err)
	}
}

func writeConfigYAML(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "usher.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
