package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-hub/usher/internal/testdb"
)

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
	t.Setenv("E2E_PUSH_SECRET", secret)
	db := testdb.SQLite(t)
	srv := e2eStart(t, "--config", cfg, "--database", db)
	for p := range 60 { // contact numbers as numbers: invalid, quarantined
		var docs []string
		for i := range 50 {
			docs = append(docs, fmt.Sprintf(`{"contactNumber":%d}`, p*50+i))
		}
		if status, resp := srv.post(t, "/s360/contacts/myvenue", []byte("["+strings.Join(docs, ",")+"]"), "s360", secret); status != 200 || !strings.Contains(resp, `"quarantined":50`) {
			t.Fatalf("quarantining payload %d: %d %.200s", p, status, resp)
		}
	}
	next := 1
	push := func() (time.Duration, int) {
		var docs []string
		for range 50 {
			docs = append(docs, fmt.Sprintf(`{"ticket_check_id":%d,"movement_id":1,"ticket_id":2,"barcode":"0","access_time":"2023-02-09 18:25:10","check_flow":"IN","result":"OK","failure_reason":"NO_FAIL"}`, next))
			next++
		}
		start := time.Now()
		status, _ := srv.post(t, "/s360/ticketchecks/myvenue", []byte("["+strings.Join(docs, ",")+"]"), "s360", secret)
		return time.Since(start), status
	}
	var baseline []time.Duration
	for range 50 {
		d, status := push()
		if status != 200 {
			t.Fatalf("push without a replay: %d", status)
		}
		baseline = append(baseline, d)
	}

	done := make(chan error, 1)
	var out string
	var wg sync.WaitGroup
	wg.Add(1)
	start := time.Now()
	go func() {
		defer wg.Done()
		var err error
		out, _, err = runForTest(t, map[string]string{"E2E_PUSH_SECRET": secret}, "quarantine", "replay", "--config", cfg, "--database", db)
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
		d, status := push()
		during = append(during, d)
		if status != 200 {
			failed++
		}
	}
	took := time.Since(start)
	wg.Wait()
	if replayErr != nil {
		t.Fatalf("replay: %v", replayErr)
	}
	t.Logf("replay of 3,000 documents took %s (%s); push p99 %s without it (%d payloads), %s during it (%d payloads, %d not 200)",
		took.Round(time.Millisecond), strings.TrimSpace(out), percentile99(baseline), len(baseline), percentile99(during), len(during), failed)
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
