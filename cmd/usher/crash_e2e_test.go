package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/usher-hub/usher/internal/sim/s360api"
	"github.com/usher-hub/usher/internal/testdb"
)

// TestKillDashNine runs the real usher binary, kills it with SIGKILL while
// it is delivering 1,000 contacts to the CRM and writing 300 CRM contacts
// to S-360, starts it again on the same database, and checks that nothing
// was lost and nothing done twice: every delivery reached the CRM (a
// delivery in flight at the kill may arrive twice, with the same
// webhook-id, which is how a CRM tells), every write reached S-360 once
// (a write applied whose answer usher never heard is looked up, not sent
// again), and the shared
// rate budget held across the restart.
func TestKillDashNine(t *testing.T) {
	bin := usherBin
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) { killDashNine(t, bin, testdb.DSN(t, engine)) })
	}
}

func killDashNine(t *testing.T, bin, database string) {
	const contacts, writes = 1000, 300
	crmSrv := newTestCRM(t)
	sim := s360api.New(s360api.Config{
		Institutions: []s360api.Institution{{Code: "MYVENUE", Secret: s360Secret}},
		RateLimit:    600, RateWindow: 10 * time.Second,
	})
	simSrv := httptest.NewServer(sim)
	t.Cleanup(simSrv.Close)
	cfgPath := filepath.Join(t.TempDir(), "usher.yaml")
	if err := os.WriteFile(cfgPath, []byte(crashConfig(database, simSrv.URL, crmSrv.srv.URL)), 0o600); err != nil {
		t.Fatal(err)
	}

	first := startCRMUsher(t, bin, cfgPath)
	h := &harness{t: t, sim: sim, crm: crmSrv, usherURL: first.url, hc: http.DefaultClient}
	sim.SetPushURL("MYVENUE", first.url+"/s360/contacts/myvenue")
	release := crmSrv.holdAfter(200)
	sim.CreateContacts("MYVENUE", contacts, func(i int) map[string]any {
		return map[string]any{"email": fmt.Sprintf("v%d@example.org", i)}
	})
	if n := h.push(); n != contacts {
		t.Fatalf("pushed %d contacts, want %d", n, contacts)
	}
	h.postContacts(writes, 4)
	waitFor(t, time.Minute, "deliveries held in flight and writes under way", func() bool {
		d, _, _ := crmSrv.counts()
		return d >= 200 && sim.Stats("MYVENUE").Applied >= 20
	})
	// From now on S-360 applies writes but holds their answers: at the
	// kill, a write is done at S-360 and not yet recorded by usher.
	heldAt := sim.Stats("MYVENUE").Applied
	releaseS360 := sim.HoldAnswers()
	waitFor(t, time.Minute, "a write applied and unanswered", func() bool { return sim.Stats("MYVENUE").Applied > heldAt })
	first.kill(t)
	// What the CRM and S-360 held was received or done; usher died before
	// it heard so: it comes again, with the same webhook-id or key.
	release()
	releaseS360()
	delivered, _, _ := crmSrv.counts()
	applied := sim.Stats("MYVENUE").Applied
	t.Logf("killed with %d of %d deliveries and %d of %d writes done", delivered, contacts, applied, writes)
	if delivered == contacts || applied == writes {
		t.Fatal("the kill came after the work was done; it proves nothing")
	}

	second := startCRMUsher(t, bin, cfgPath)
	waitFor(t, 2*time.Minute, "every delivery and write after the restart", func() bool {
		d, _, _ := crmSrv.counts()
		return d >= contacts && sim.ContactCount("MYVENUE") >= contacts+writes
	})
	waitFor(t, time.Minute, "an idle outbox", func() bool { return second.idle(t) })
	distinct, dups, bad := crmSrv.counts()
	st := sim.Stats("MYVENUE")
	t.Logf("after the restart: %d distinct deliveries (%d resent with the same webhook-id), %d write calls applied, %d throttled",
		distinct, dups, st.Applied, st.Throttled)
	if distinct != contacts || bad != 0 {
		t.Fatalf("CRM holds %d distinct deliveries (%d badly signed), want %d", distinct, bad, contacts)
	}
	if n := sim.ContactCount("MYVENUE"); n != contacts+writes {
		t.Fatalf("S-360 holds %d contacts, want %d: a write applied before the kill was made again", n, contacts+writes)
	}
	if dups < 1 {
		t.Fatalf("%d deliveries resent: the kill must have caught work in flight", dups)
	}
	if st.Throttled != 0 {
		t.Fatalf("S-360 throttled %d calls: the restarted usher must keep within the shared budget", st.Throttled)
	}
	if out := runBinary(t, bin, "deliveries", "list", "-config", cfgPath, "-state", "failed"); strings.Count(out, "\n") != 1 {
		t.Fatalf("failed jobs after the restart:\n%s", out)
	}
	second.stop(t)
}

func crashConfig(database, simURL, crmURL string) string {
	return fmt.Sprintf(`listen: 127.0.0.1:0
database: %q
log_level: warn
institutions:
  - code: myvenue
    auth: {mode: none}
    crm_destinations:
      - name: extcrm
        url: %s/s360/{stream}/{institution}
        signing_secret: %s
        auth: {mode: bearer, secret: crm-token}
    s360_api:
      base_url: %s
      operator: MYVENUE_CRM
      partner: usher
      secret: %s
      rate_limit: 600
      rate_window: 10s
      circuit_cooldown: 200ms
      contact_batch: 1
api_keys:
  - name: crm
    secret: %s
    institutions: [myvenue]
outbox:
  poll_interval: 20ms
  lease: 2s
  retry_base: 50ms
  retry_max: 1s
`, database, crmURL, crmSigningSecret, simURL, s360Secret, crmAPIKey)
}

// crmProcess is a running usher binary.
type crmProcess struct {
	cmd *exec.Cmd
	url string
	// done is closed when the crmProcess has exited, with its error in err.
	done chan struct{}
	err  error
}

// startUsher starts `usher serve` and reads its address from the line it
// prints once listening.
func startCRMUsher(t *testing.T, bin, cfgPath string) *crmProcess {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-config", cfgPath)
	logFile, err := os.Create(filepath.Join(t.TempDir(), "usher.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &crmProcess{cmd: cmd, done: make(chan struct{})}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		log, _ := os.ReadFile(logFile.Name())
		t.Fatalf("usher did not start: %v\n%s", err, log)
	}
	_, rest, _ := strings.Cut(line, "http://")
	p.url = "http://" + strings.Fields(rest)[0]
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		logFile.Close()
	})
	return p
}

func (p *crmProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// stop sends SIGTERM and expects a clean exit.
func (p *crmProcess) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p.done
	if p.err != nil {
		t.Fatalf("usher did not exit cleanly on SIGTERM: %v", p.err)
	}
}

// idle reports whether the outbox holds nothing queued or in flight.
func (p *crmProcess) idle(t *testing.T) bool {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, p.url+"/api/v1/outbox", nil)
	req.Header.Set("Authorization", "Bearer "+crmAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Institutions []struct {
			Jobs map[string]int `json:"jobs"`
		} `json:"institutions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Institutions) != 1 {
		t.Fatalf("GET /api/v1/outbox: %v", err)
	}
	jobs := body.Institutions[0].Jobs
	return jobs["queued"] == 0 && jobs["inflight"] == 0
}

func runBinary(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("usher %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
