package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/config"
	"github.com/usher-hub/usher/internal/crm"
)

// runPlan serves `usher plan`: the calls, time and budget share a bulk
// load takes, and when it would finish behind the outbox's backlog.
func runPlan(ctx context.Context, e env, args []string) error {
	fs, cf := commandFlags("plan", e)
	inst := fs.String("institution", "", "institution code (required)")
	contacts := fs.Int("contacts", 0, "new contacts to create")
	bookings := fs.Int("bookings", 0, "bookings to create (two calls each, the most a sale takes)")
	file := fs.String("file", "", "an import file (CSV or JSON lines) to plan instead of --contacts")
	lost := fs.Float64("lost-ratio", 0, "share of write answers expected to be lost (each lost batch costs two calls a contact to resolve)")
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if *inst == "" {
		return usagef("plan: --institution is required")
	}
	req := usher.LoadRequest{Contacts: *contacts, Bookings: *bookings, LostRatio: *lost}
	if *file != "" {
		n, extras, err := countImportFile(*file)
		if err != nil {
			return err
		}
		req.Contacts, req.ContactExtras = n, extras
	}
	cfg, st, err := cf.openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := planLoad(ctx, cfg, st, *inst, req, time.Now())
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	printPlan(e, *inst, req, p)
	return nil
}

// planLoad plans req against the institution's S-360 budget and the
// backlog every replica left in the shared outbox.
func planLoad(ctx context.Context, cfg config.Config, st usher.OutboxStore, inst string, req usher.LoadRequest, now time.Time) (usher.LoadPlan, error) {
	i := institutionIndex(cfg, inst)
	if i < 0 || cfg.Institutions[i].S360API == nil {
		return usher.LoadPlan{}, fmt.Errorf("--institution %s: no such institution with an s360_api in the configuration", inst)
	}
	api := cfg.Institutions[i].S360API.WithDefaults(inst)
	backlog, err := outboxBacklog(ctx, st, inst, api.ContactBatch)
	if err != nil {
		return usher.LoadPlan{}, err
	}
	return usher.PlanLoad(req, usher.LoadBudget{Limit: usher.RateLimit{Limit: api.RateLimit, Window: api.RateWindow},
		Headroom: api.RateHeadroom, Reserve: api.ImportReserve, Batch: api.ContactBatch, BacklogCalls: backlog.S360Calls}, now), nil
}

// backlog is what the outbox still has to do, per destination.
type backlog struct {
	// S360Jobs and S360Calls are the writes to S-360 waiting or running,
	// and the calls they take (a batch of imported contacts is one).
	S360Jobs, S360Calls int
	// CRMDeliveries are deliveries to CRMs waiting or running.
	CRMDeliveries int
}

func outboxBacklog(ctx context.Context, st usher.OutboxStore, inst string, batch int) (backlog, error) {
	counts, err := st.CountJobs(ctx)
	if err != nil {
		return backlog{}, err
	}
	var b backlog
	imports := 0
	for _, c := range counts {
		if c.Institution != inst || (c.State != usher.JobQueued && c.State != usher.JobInFlight) {
			continue
		}
		switch c.Kind {
		case usher.KindS360SaveContact:
			b.S360Jobs += c.Count
			b.S360Calls += c.Count
		case usher.KindS360CreateBooking:
			b.S360Jobs += c.Count
			b.S360Calls += 2 * c.Count
		case usher.KindS360ImportContact:
			b.S360Jobs += c.Count
			imports += c.Count
		case usher.KindCRMDelivery:
			b.CRMDeliveries += c.Count
		}
	}
	b.S360Calls += (imports + max(batch, 1) - 1) / max(batch, 1)
	return b, nil
}

func printPlan(e env, inst string, req usher.LoadRequest, p usher.LoadPlan) {
	w := e.stdout
	fmt.Fprintf(w, "Plan for %s: %d new contacts (%d with fields beyond e-mail and names), %d bookings\n", inst, req.Contacts, req.ContactExtras, req.Bookings)
	fmt.Fprintf(w, "  calls:        %d (createCulturalContact carries %d contacts a call)\n", p.Calls, p.Batch)
	fmt.Fprintf(w, "  rate:         %.0f calls per %s for the import: the limit %d less %.0f%% headroom and %.0f%% kept for live writes\n",
		p.CallsPerWindow, time.Duration(p.WindowSeconds*float64(time.Second)), p.Limit, 100*p.Headroom, 100*p.Reserve)
	fmt.Fprintf(w, "  time:         %s\n", time.Duration(p.Seconds*float64(time.Second)).Round(time.Second))
	fmt.Fprintf(w, "  daily budget: %.2f%% of a day's %d calls\n", 100*p.DailyShare, int(float64(p.Limit)*86400/p.WindowSeconds))
	fmt.Fprintf(w, "  backlog:      %d calls ahead in the outbox (%s)\n", p.BacklogCalls, time.Duration(p.BacklogSeconds*float64(time.Second)).Round(time.Second))
	fmt.Fprintf(w, "  finishes:     %s if started now\n", p.FinishAt.Format(time.RFC3339))
}

// countImportFile reads an import file for the planner: the rows that
// pass the checks, and those that carry fields beyond a create's.
func countImportFile(path string) (n, extras int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("--file: %w", err)
	}
	defer f.Close()
	rows, err := crm.ReadImport(f)
	if err != nil {
		return 0, 0, fmt.Errorf("--file %s: %w", path, err)
	}
	seen := map[string]bool{}
	for i := range rows {
		if crm.CheckImportRow(&rows[i]) != nil || seen[rows[i].Key] {
			continue
		}
		seen[rows[i].Key] = true
		n++
		if rows[i].HasExtras() {
			extras++
		}
	}
	return n, extras, nil
}
