package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/outbox"
	"github.com/usher-hub/usher/internal/testdb"
)

// TestS360ToCRMExactlyOnce: S-360 pushes 1,000 new contacts and then 200
// changes; every version reaches the CRM once, signed, and the versions of
// a contact in order.
func TestS360ToCRMExactlyOnce(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine, harnessOptions{})
			numbers := h.sim.CreateContacts("MYVENUE", 1000, func(i int) map[string]any {
				return map[string]any{"email": fmt.Sprintf("visitor%d@example.org", i),
					"individualContact": map[string]any{"firstName": "Visitor", "lastName": fmt.Sprint(i)}}
			})
			if n := h.push(); n != 1000 {
				t.Fatalf("pushed %d contacts, want 1000", n)
			}
			for _, n := range numbers[:200] {
				h.sim.ChangeContact("MYVENUE", n, map[string]any{"cellPhoneNumber": "+41 79 000 00 00"})
			}
			h.push()
			waitFor(t, 2*time.Minute, "1,200 deliveries", func() bool { d, _, _ := h.crm.counts(); return d >= 1200 })
			h.settle()
			distinct, dups, bad := h.crm.counts()
			if distinct != 1200 || dups != 0 || bad != 0 {
				t.Fatalf("CRM got %d distinct deliveries, %d duplicates, %d badly signed; want 1200, 0, 0", distinct, dups, bad)
			}
			for _, n := range numbers[:200] {
				if v := h.crm.versions("contacts/" + n); !slices.Equal(v, []int{1, 2}) {
					t.Fatalf("contact %s arrived as versions %v, want [1 2]", n, v)
				}
			}
			if !strings.HasPrefix(h.crm.lastBody("contacts/"+numbers[0]), `[{`) {
				t.Fatalf("body %q: want S-360's own form, a JSON array holding the contact", h.crm.lastBody("contacts/"+numbers[0]))
			}
		})
	}
}

// TestCRMToS360WithinTheRateLimit: the CRM writes 1,000 contacts; each
// reaches S-360 exactly once, usher is never throttled, and it uses at
// least 90% of the allowed rate. The window is short (1,000 calls per
// 10 s) so the test runs in about ten seconds, and the simulator counts
// calls over a sliding window so a burst would be caught.
func TestCRMToS360WithinTheRateLimit(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			const writes, limit, window = 1000, 1000, 10 * time.Second
			// One contact per call, so that the calls measure the rate.
			h := newHarness(t, engine, harnessOptions{simLimit: limit, simWindow: window, workers: 16, contactBatch: 1})
			h.postContacts(writes, 8)
			waitFor(t, 2*time.Minute, "1,000 writes at S-360", func() bool { return h.sim.Stats("MYVENUE").Applied >= writes })
			h.settle()
			st := h.sim.Stats("MYVENUE")
			used := float64(st.Calls-1) / st.Last.Sub(st.First).Seconds() / (float64(limit) / window.Seconds())
			t.Logf("%s: %d calls in %v, %.1f%% of the allowed rate; at most %d calls in one %v window (limit %d); %d throttled",
				engine, st.Calls, st.Last.Sub(st.First).Round(time.Millisecond), 100*used, st.MaxInWindow, window, limit, st.Throttled)
			if st.Throttled != 0 {
				t.Fatalf("S-360 throttled %d calls: a well-behaved usher is never throttled", st.Throttled)
			}
			if st.Applied != writes || h.sim.ContactCount("MYVENUE") != writes {
				t.Fatalf("S-360 applied %d writes, holds %d contacts; want %d, %d", st.Applied, h.sim.ContactCount("MYVENUE"), writes, writes)
			}
			if used < 0.9 {
				t.Fatalf("usher used %.1f%% of the allowed rate, want at least 90%%", 100*used)
			}
			h.checkStatus(writes)
		})
	}
}

// postContacts sends n contact creations through the CRM API from
// several clients at once.
func (h *harness) postContacts(n, clients int) {
	h.t.Helper()
	errs := make(chan error, clients)
	for c := range clients {
		go func() {
			for i := c; i < n; i += clients {
				body := map[string]any{"reference": fmt.Sprint("crm-", i), "contact": map[string]any{
					"email": fmt.Sprintf("lead%d@example.org", i), "individualContact": map[string]any{"lastName": fmt.Sprint("Lead", i)}}}
				if status, raw := h.request(http.MethodPost, "/api/v1/crm/myvenue/contacts", body, fmt.Sprint("idem-", i)); status != http.StatusAccepted {
					errs <- fmt.Errorf("POST contact %d: %d %s", i, status, raw)
					return
				}
			}
			errs <- nil
		}()
	}
	for range clients {
		if err := <-errs; err != nil {
			h.t.Fatal(err)
		}
	}
}

// settle waits until the outbox holds nothing queued or in flight.
func (h *harness) settle() {
	h.t.Helper()
	limit := time.Minute
	if h.settleLimit > 0 {
		limit = h.settleLimit
	}
	waitFor(h.t, limit, "an idle outbox", func() bool {
		counts, err := h.app.store.CountJobs(context.Background())
		if err != nil {
			h.t.Fatal(err)
		}
		for _, c := range counts {
			if c.State == usher.JobQueued || c.State == usher.JobInFlight {
				return false
			}
		}
		return true
	})
}

// checkStatus reads GET /api/v1/outbox and /metrics after a run of done
// S-360 writes.
func (h *harness) checkStatus(done int) {
	h.t.Helper()
	status, raw := h.request(http.MethodGet, "/api/v1/outbox", nil, "")
	var body outbox.StatusBody
	if err := json.Unmarshal(raw, &body); status != http.StatusOK || err != nil || len(body.Institutions) != 1 {
		h.t.Fatalf("GET /api/v1/outbox: %d %s", status, raw)
	}
	st := body.Institutions[0]
	if st.Kinds[usher.KindS360SaveContact][usher.JobDone] != done || st.Jobs[usher.JobFailed] != 0 {
		h.t.Fatalf("outbox status = %s", raw)
	}
	s360, _ := st.Extra["s360"].(map[string]any)
	if rl, _ := s360["rate_limit"].(map[string]any); rl == nil || rl["limit"] == nil || s360["circuit"] != "closed" {
		h.t.Fatalf("outbox status lacks the rate-limit headroom or circuit state: %s", raw)
	}
	resp, err := h.hc.Get(h.usherURL + "/metrics")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	_, _ = io.Copy(&sb, resp.Body)
	for _, want := range []string{`usher_outbox_jobs{institution="myvenue",kind="s360.contact.save",state="done"}`, "usher_rate_limit_available", "usher_upstream_calls_total", `usher_circuit_state{institution="myvenue",state="closed"} 1`} {
		if !strings.Contains(sb.String(), want) {
			h.t.Fatalf("/metrics lacks %s", want)
		}
	}
}
