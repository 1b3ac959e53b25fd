package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/crm"
	"github.com/usher-hub/usher/internal/testdb"
)

// importSize is the import of issue 20's measure; USHER_E2E_IMPORT_SIZE
// changes it (a quick run, or 100,000 by hand).
func importSize(t *testing.T) int {
	if v := os.Getenv("USHER_E2E_IMPORT_SIZE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("USHER_E2E_IMPORT_SIZE: %v", err)
		}
		return n
	}
	return 10000
}

// writeImportCSV writes n contacts with an id column, then three rows the
// checks refuse.
func writeImportCSV(t *testing.T, n int) string {
	var b bytes.Buffer
	b.WriteString("id,email,first_name,last_name\n")
	for i := range n {
		fmt.Fprintf(&b, "crm-%d,bulk%d@example.org,Ada%d,Lovelace\n", i, i, i)
	}
	b.WriteString("bad-1,not-an-email,Bad,Row\n")
	b.WriteString("bad-2,,No,Email\n")
	b.WriteString("bad 3,spaces@example.org,Bad,Reference\n")
	path := filepath.Join(t.TempDir(), "contacts.csv")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestContactImportExactlyOnce is issue 20's measure: against the S-360
// stand-in in its documented mode at 600 calls a minute, with lost answers
// on, an import of 10,000 contacts creates each exactly once, on both
// engines; a re-run of the file queues nothing; the planner's time is
// within 10 % of the measured one; and CRM writes made during the import
// are done while it still runs (the reserve keeps their share free).
func TestContactImportExactlyOnce(t *testing.T) {
	n := importSize(t)
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			// One write answer in a hundred is lost at the stand-in. How many
			// of the import's two hundred batches that hits varies (each
			// lost batch costs about 100 resolving calls, 13 s here), so the
			// planner is held to the run with the loss the stand-in actually
			// dealt: what is checked is its model of the rate, the batches
			// and the cost of a lost answer, not a guess of the dice.
			const lost = 0.01
			h := newHarness(t, engine, harnessOptions{simLimit: 600, simWindow: time.Minute, lostRatio: lost})
			path := writeImportCSV(t, n)
			ctx := context.Background()
			upfront, err := planLoad(ctx, h.app.cfg, h.app.store, "myvenue", usher.LoadRequest{Contacts: n, LostRatio: lost}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			e := env{getenv: func(string) string { return "" }, stdout: &out, stderr: &out}
			o := importOptions{institution: "myvenue", id: "first", poll: 50 * time.Millisecond, wait: true}
			start := time.Now()
			done := make(chan error, 1)
			go func() { done <- importFile(ctx, e, h.app.store, o, path, 15) }()

			// Live CRM writes once the import is well under way.
			waitFor(t, time.Minute, "the import under way", func() bool { return importDone(t, h, "first") >= n/10 })
			// Measured in import progress, not time: a live write that
			// waited its turn behind the import's queue would see most of
			// the import done first.
			before := importDone(t, h, "first")
			var live []crm.Receipt
			for i := range 20 {
				live = append(live, h.postCRM("/api/v1/crm/myvenue/contacts", map[string]any{"contact": map[string]any{
					"email": fmt.Sprintf("live%d@example.org", i), "individualContact": map[string]any{"firstName": "Live", "lastName": fmt.Sprint(i)}}},
					fmt.Sprint("live-", i)))
			}
			waitFor(t, time.Minute, "the live writes", func() bool {
				for _, rc := range live {
					if h.requestState(rc) != usher.JobDone {
						return false
					}
				}
				return true
			})
			during := importDone(t, h, "first") - before
			t.Logf("20 live writes done while the import created %d contacts; %d were still to go", during, n-before-during)
			if during > n/5 {
				t.Fatalf("the import created %d contacts while 20 live writes waited: they waited behind it, not within their share", during)
			}
			if err := <-done; err != nil {
				t.Fatalf("import: %v\n%s", err, out.String())
			}
			measured := time.Since(start)
			h.settle()
			if got := h.sim.ContactCount("MYVENUE"); got != n+len(live) {
				t.Fatalf("S-360 holds %d contacts, want %d imported and %d live", got, n, len(live))
			}
			// The count rules out duplicates; a sample checks the rows are
			// the file's (each lookup scans every contact at the stand-in).
			for i := 0; i < n; i += max(n/500, 1) {
				if found := h.sim.ContactsByEmail("MYVENUE", fmt.Sprintf("bulk%d@example.org", i)); len(found) != 1 {
					t.Fatalf("bulk%d exists %d times at S-360, want once", i, len(found))
				}
			}
			st := h.sim.Stats("MYVENUE")
			rejects, _ := os.ReadFile(path + ".rejected.jsonl")
			if lines := strings.Count(string(rejects), "\n"); lines != 3 || !strings.Contains(string(rejects), "must be a plain email address") {
				t.Fatalf("rejects file holds %d lines, want the 3 bad rows with reasons:\n%s", lines, rejects)
			}

			// A re-run, under another id too, queues nothing and creates nothing.
			out.Reset()
			o.id = "second"
			if err := importFile(ctx, e, h.app.store, o, path, 15); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), fmt.Sprintf("%d accepted (%d of them queued by an earlier run)", n, n)) {
				t.Fatalf("re-run says %q, want every row known", out.String())
			}
			h.settle()
			if got := h.sim.ContactCount("MYVENUE"); got != n+len(live) {
				t.Fatalf("after the re-run S-360 holds %d contacts, want %d", got, n+len(live))
			}
			// The import's rows whose batch answer was lost were resolved by
			// reading back (a live write may draw the loss instead, and a
			// lost batch may be a short one). The planner counts two calls a
			// row of a lost batch: its loss ratio is that share of the rows.
			resolvedRows := h.resolvedOf(usher.KindS360ImportContact)
			plan, err := planLoad(ctx, h.app.cfg, h.app.store, "myvenue",
				usher.LoadRequest{Contacts: n, LostRatio: float64(resolvedRows) / float64(n)}, start)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("planned beforehand at the stand-in's 1 %% loss: %.1f s, %d calls; with the loss dealt (%d of the import's rows resolved): %.1f s, %d calls",
				upfront.Seconds, upfront.Calls, resolvedRows, plan.Seconds, plan.Calls)
			ratio := measured.Seconds() / plan.Seconds
			t.Logf("%s: %d contacts in %v (plan %.1f s, %d calls; measured/plan %.3f); %d requests, %d answers lost, %d throttled, max %d calls in a window; resolved %d found, %d absent",
				engine, n, measured.Round(time.Millisecond), plan.Seconds, plan.Calls, ratio, h.sim.Requests(), st.Lost, st.Throttled, st.MaxInWindow,
				h.resolved("found"), h.resolved("absent"))
			if st.Lost == 0 {
				t.Fatal("no answer was lost: the test proves nothing")
			}
			// The planner's calls are S-360's: the stand-in counts them, so
			// they are checked on every run. Its time is those calls at the
			// rate, which usher meets only if it keeps up with the budget: a
			// question of speed, measured on a quiet machine
			// (USHER_E2E_IMPORT_TIMED=1, docs/crm.md has the runs), not
			// asserted while other tests share the cores.
			if calls := h.sim.Requests(); float64(calls) < 0.9*float64(plan.Calls) || float64(calls) > 1.1*float64(plan.Calls+len(live)) {
				t.Errorf("S-360 received %d calls, the planner said %d for the import (+%d live writes): outside 10 %%", calls, plan.Calls, len(live))
			}
			if os.Getenv("USHER_E2E_IMPORT_TIMED") == "1" && (ratio < 0.9 || ratio > 1.1) {
				t.Errorf("measured %v, the planner said %.1f s: measured/plan %.2f, outside 0.9–1.1", measured, plan.Seconds, ratio)
			}
			if st.MaxInWindow > 600 {
				t.Errorf("S-360 saw %d calls in one window, over its 600", st.MaxInWindow)
			}
		})
	}
}

// importDone counts an import's done rows.
func importDone(t *testing.T, h *harness, id string) int {
	t.Helper()
	counts, _, err := h.app.store.CountJobsByPrefix(context.Background(), "myvenue", crm.ImportPrefix(id))
	if err != nil {
		t.Fatal(err)
	}
	return counts[usher.JobDone]
}

// resolvedOf counts the done jobs of kind whose write was resolved by
// reading back after a lost answer.
func (h *harness) resolvedOf(kind string) int {
	h.t.Helper()
	jobs, err := h.app.store.FindJobs(context.Background(), usher.JobFilter{State: usher.JobDone, Limit: 100000})
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for _, j := range jobs {
		var res struct {
			Resolved string `json:"resolved"`
		}
		if j.Kind == kind && json.Unmarshal(j.Result, &res) == nil && res.Resolved != "" {
			n++
		}
	}
	return n
}
