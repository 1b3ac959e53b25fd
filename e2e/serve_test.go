package e2e

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-hub/usher/client"
	"github.com/usher-hub/usher/internal/testdb"
	"github.com/usher-hub/usher/internal/tlsserve/tlstest"
)

// serveConfig runs `usher serve --config` with yaml (written to a file)
// and env, and returns the first submatch of each pattern in want, in
// order, once all appear on its output. When the test ends the server
// must stop cleanly on SIGTERM.
func serveConfig(t *testing.T, yaml string, env []string, want ...*regexp.Regexp) (*proc, []string) {
	t.Helper()
	p := start(t, env, "serve", "--config", writeConfigYAML(t, yaml))
	t.Cleanup(func() {
		if !t.Failed() {
			p.StopClean(t)
		}
	})
	var got []string
	for _, re := range want {
		got = append(got, p.stdout.waitFor(t, re, p.exited)[1])
	}
	return p, got
}

var metricsURL = regexp.MustCompile(`metrics on (http://\S+)/metrics`)

const metricsToken = "metrics-token-0123456789abcdef"

// TestMetricsCanBeProtected: with metrics.token, /metrics (which names
// every institution) answers 401 without the token; with metrics.listen
// it is served there only.
func TestMetricsCanBeProtected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.SQLite(t)
	base := "listen: 127.0.0.1:0\ndatabase: " + db + "\ninstitutions: [{code: myvenue, auth: {mode: none}}]\n"
	t.Run("token", func(t *testing.T) {
		_, urls := serveConfig(t, base+"metrics: {token_env: TEST_METRICS_TOKEN}\n", []string{"TEST_METRICS_TOKEN=" + metricsToken}, listenLine)
		c := client.New(urls[0], "")
		if _, err := c.Metrics(ctx, ""); client.StatusOf(err) != http.StatusUnauthorized {
			t.Errorf("/metrics without the token: %v, want 401", err)
		}
		if _, err := c.Metrics(ctx, "wrong-token-0123456789abcdef"); client.StatusOf(err) != http.StatusUnauthorized {
			t.Errorf("/metrics with a wrong token: %v, want 401", err)
		}
		if _, err := c.Metrics(ctx, metricsToken); err != nil {
			t.Errorf("/metrics with the token: %v, want 200", err)
		}
	})
	t.Run("listen", func(t *testing.T) {
		p, urls := serveConfig(t, base+"metrics: {listen: 127.0.0.1:0}\n", nil, listenLine, metricsURL)
		if _, err := client.New(urls[0], "").Metrics(ctx, ""); client.StatusOf(err) != http.StatusNotFound {
			t.Errorf("/metrics on the main listener: %v, want 404", err)
		}
		metrics := client.New(urls[1], "")
		if _, err := metrics.Metrics(ctx, ""); err != nil {
			t.Errorf("/metrics on metrics.listen: %v, want 200", err)
		}
		if err := metrics.Health(ctx); client.StatusOf(err) != http.StatusNotFound {
			t.Errorf("metrics.listen serves more than /metrics: /healthz %v", err)
		}
		p.StopClean(t) // all it logged is in
		if strings.Contains(p.Logs(), "/metrics on") {
			t.Errorf("warned about an open /metrics although it has its own listener:\n%s", p.Logs())
		}
	})
	t.Run("auth none is warned about", func(t *testing.T) {
		p, _ := serveConfig(t, base, nil, listenLine)
		p.StopClean(t) // all it logged is in
		if !strings.Contains(p.Logs(), "institution myvenue has auth mode none") {
			t.Errorf("no warning about auth mode none at start:\n%s", p.Logs())
		}
	})
}

var httpsURL = regexp.MustCompile(`listening on (https://\S+)`)

// TestServeTLSFromFilesAndReload: `usher serve` with tls.cert_file and
// tls.key_file answers HTTPS with that certificate, picks up a renewed
// one from the files without a restart, and keeps serving the last good
// one when the files are replaced by something that does not load.
func TestServeTLSFromFilesAndReload(t *testing.T) {
	t.Parallel()
	ca := tlstest.NewCA(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	start := time.Now().Add(-time.Hour)
	ca.WriteLeaf(t, 1001, certFile, keyFile, start)
	p, urls := serveConfig(t, "listen: 127.0.0.1:0\ndatabase: "+testdb.SQLite(t)+
		"\ninstitutions: [{code: myvenue, auth: {mode: none}}]\ntls: {cert_file: "+certFile+", key_file: "+keyFile+"}\n", nil, httpsURL)
	base := urls[0]
	// The certificate is the point here: a plain client reads it.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}, DisableKeepAlives: true}}
	serial := func() int64 {
		t.Helper()
		res, err := hc.Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET /healthz over TLS: %d", res.StatusCode)
		}
		return res.TLS.PeerCertificates[0].SerialNumber.Int64()
	}
	if s := serial(); s != 1001 {
		t.Fatalf("serves certificate %d, want 1001", s)
	}
	ca.WriteLeaf(t, 1002, certFile, keyFile, start.Add(time.Minute))
	if s := serial(); s != 1002 {
		t.Fatalf("after renewal on disk serves certificate %d, want 1002", s)
	}
	if err := os.WriteFile(certFile, []byte("half written"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s := serial(); s != 1002 {
		t.Fatalf("with a broken file serves %d, want the last good 1002", s)
	}
	// The log line is written by another process: wait for it.
	p.stderr.waitFor(t, regexp.MustCompile("do not load"), p.exited)
	// The API client reaches the TLS listener given the CA.
	if err := client.New(base, "", client.WithHTTPClient(hc)).Ready(context.Background()); err != nil {
		t.Errorf("readyz over TLS: %v", err)
	}
	// Plain HTTP to the TLS port gets Go's 400, never the API.
	if err := client.New(strings.Replace(base, "https://", "http://", 1), "").Health(context.Background()); err == nil {
		t.Error("plain HTTP is served on the TLS listener")
	}
}

// TestServeTLSRefusesBadFiles: a missing or mismatched pair stops the
// start with an error naming the settings.
func TestServeTLSRefusesBadFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(usherBin, "serve")
	cmd.Env = append(os.Environ(), "USHER_DATABASE="+testdb.SQLite(t), "USHER_LISTEN=127.0.0.1:0",
		"USHER_TLS_CERT_FILE="+filepath.Join(dir, "none.pem"), "USHER_TLS_KEY_FILE="+filepath.Join(dir, "none.key"))
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "tls.cert_file") || !strings.Contains(string(out), "none.pem") {
		t.Fatalf("serve with missing certificate files: %v\n%s", err, out)
	}
}

// TestReplayLetsPushesThrough runs `usher quarantine replay` over a few
// thousand quarantined documents against the SQLite file of a running
// server while S-360 keeps pushing (issue 16: a long job must not starve
// ingest). Each replayed document is its own short transaction; the
// pushes during it must all be answered 200.
func TestReplayLetsPushesThrough(t *testing.T) {
	if testing.Short() {
		t.Skip("quarantines 3,000 documents")
	}
	const secret = "replay-secret-value-long"
	cfg := writeConfigYAML(t, `
institutions:
  - code: myvenue
    auth: {mode: basic, username: s360, secret_env: E2E_PUSH_SECRET}
`)
	env := []string{"E2E_PUSH_SECRET=" + secret}
	db := testdb.SQLite(t)
	c, ctx, auth := serveEnv(t, env, "--config", cfg, "--database", db).Client(""), context.Background(), client.Basic("s360", secret)
	for p := range 60 { // contact numbers as numbers: invalid, quarantined
		var docs []string
		for i := range 50 {
			docs = append(docs, fmt.Sprintf(`{"contactNumber":%d}`, p*50+i))
		}
		if rc, err := c.Push(ctx, "myvenue", client.StreamContacts, []byte("["+strings.Join(docs, ",")+"]"), auth); err != nil || rc.Quarantined != 50 {
			t.Fatalf("quarantining payload %d: %+v %v", p, rc, err)
		}
	}
	next := 1
	push := func() (time.Duration, error) {
		var docs []string
		for range 50 {
			docs = append(docs, fmt.Sprintf(`{"ticket_check_id":%d,"movement_id":1,"ticket_id":2,"barcode":"0","access_time":"2023-02-09 18:25:10","check_flow":"IN","result":"OK","failure_reason":"NO_FAIL"}`, next))
			next++
		}
		start := time.Now()
		_, err := c.Push(ctx, "myvenue", client.StreamTicketChecks, []byte("["+strings.Join(docs, ",")+"]"), auth)
		return time.Since(start), err
	}
	var baseline []time.Duration
	for range 50 {
		d, err := push()
		if err != nil {
			t.Fatalf("push without a replay: %v", err)
		}
		baseline = append(baseline, d)
	}

	done := make(chan error, 1)
	var out []byte
	var wg sync.WaitGroup
	wg.Add(1)
	start := time.Now()
	go func() {
		defer wg.Done()
		cmd := exec.Command(usherBin, "quarantine", "replay", "--config", cfg, "--database", db)
		cmd.Env = append(os.Environ(), env...)
		var err error
		out, err = cmd.Output() // stderr: kept in the error
		done <- err
	}()
	var during []time.Duration
	failed := 0
	var replayErr error
loop:
	for {
		select {
		case replayErr = <-done:
			break loop
		default:
		}
		d, err := push()
		during = append(during, d)
		if err != nil {
			failed++
			t.Logf("push during the replay: %v", err)
		}
	}
	took := time.Since(start)
	wg.Wait()
	if ee := (*exec.ExitError)(nil); errors.As(replayErr, &ee) {
		t.Fatalf("replay: %v\n%s", replayErr, ee.Stderr)
	} else if replayErr != nil {
		t.Fatalf("replay: %v", replayErr)
	}
	t.Logf("replay of 3,000 documents took %s (%s); push p99 %s without it (%d payloads), %s during it (%d payloads, %d not 200)",
		took.Round(time.Millisecond), strings.TrimSpace(string(out)), percentile99(baseline), len(baseline), percentile99(during), len(during), failed)
	if failed > 0 || len(during) < 5 {
		t.Fatalf("during the replay %d pushes were answered and %d not with 200; want at least 5, all 200", len(during), failed)
	}
}

func percentile99(ls []time.Duration) time.Duration {
	if len(ls) == 0 {
		return 0
	}
	ls = slices.Clone(ls)
	slices.Sort(ls)
	return ls[len(ls)*99/100].Round(time.Millisecond)
}
