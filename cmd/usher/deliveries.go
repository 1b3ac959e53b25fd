package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store"
)

// runDeliveries is `usher deliveries list|retry`: the operator's view of
// the outbox (CRM deliveries and writes to S-360), straight from the
// database, so it works while the server is down.
func runDeliveries(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "retry") {
		fmt.Fprintln(e.stderr, "usage: usher deliveries list [-state failed] [-institution CODE] [-kind KIND] [-limit N] [-json]")
		fmt.Fprintln(e.stderr, "       usher deliveries retry (-id N[,N…] | -all) [-institution CODE] [-kind KIND]")
		return errors.New("deliveries: give list or retry")
	}
	sub := args[0]
	fs := flag.NewFlagSet("deliveries "+sub, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var cf configFlags
	cf.register(fs, e)
	inst := fs.String("institution", "", "only this institution's jobs")
	kind := fs.String("kind", "", "only jobs of this kind: crm.delivery, s360.contact.save, s360.booking.create")
	state := fs.String("state", "", "list: only jobs in this state: queued, inflight, done, failed")
	limit := fs.Int("limit", 50, "list: at most this many jobs, newest first")
	asJSON := fs.Bool("json", false, "list: print JSON lines instead of a table")
	ids := fs.String("id", "", "retry: the ids of the failed jobs to retry, comma-separated")
	all := fs.Bool("all", false, "retry: every failed job matching -institution and -kind")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	filter, err := jobFilter(*inst, *kind, *state, *ids, *limit)
	if err != nil {
		return err
	}
	cfg, err := cf.load(e)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.Database, time.Now)
	if err != nil {
		return err
	}
	defer st.Close()
	if sub == "list" {
		return listJobs(ctx, e, st, filter, *asJSON)
	}
	if len(filter.IDs) == 0 && !*all {
		return errors.New("deliveries retry: name the jobs with -id, or pass -all to retry every failed job that matches")
	}
	n, err := st.RetryJobs(ctx, filter, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d failed job(s) queued again; a running usher picks them up within its poll interval\n", n)
	return nil
}

func jobFilter(inst, kind, state, ids string, limit int) (usher.JobFilter, error) {
	f := usher.JobFilter{Kind: kind, Limit: limit}
	if inst != "" {
		f.Institutions = []string{inst}
	}
	if state != "" {
		s, err := usher.ParseJobState(state)
		if err != nil {
			return f, err
		}
		f.State = s
	}
	for _, part := range strings.Split(ids, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return f, fmt.Errorf("-id: %q is not a job id", part)
		}
		f.IDs = append(f.IDs, id)
	}
	return f, nil
}

func listJobs(ctx context.Context, e env, st usher.Store, f usher.JobFilter, asJSON bool) error {
	jobs, err := st.FindJobs(ctx, f)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		for _, j := range jobs {
			if err := enc.Encode(jobView(j)); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tINSTITUTION\tKIND\tTARGET\tSTATE\tATTEMPTS\tWHEN\tLAST ERROR")
	for _, j := range jobs {
		v := jobView(j)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d/%d\t%s\t%s\n", j.ID, j.Institution, j.Kind, v.Target, j.State,
			j.Attempts, j.MaxAttempts, v.When.Format(time.RFC3339), truncate(v.note(), 60))
	}
	return tw.Flush()
}

type jobRow struct {
	ID          int64          `json:"id"`
	TrackingID  string         `json:"tracking_id"`
	Institution string         `json:"institution"`
	Kind        string         `json:"kind"`
	Target      string         `json:"target"`
	State       usher.JobState `json:"state"`
	Attempts    int            `json:"attempts"`
	MaxAttempts int            `json:"max_attempts"`
	Replayed    bool           `json:"replayed"`
	// When is the next run for a queued job, the end for a finished one.
	When      time.Time `json:"when"`
	LastError string    `json:"last_error,omitempty"`
	// Resolved says how an S-360 write whose answer was lost was settled
	// by reading back: found (it had happened), absent (written again) or
	// update_resent.
	Resolved string `json:"resolved,omitempty"`
}

// note is the table's last column: a resolution, then the last error.
func (r jobRow) note() string {
	if r.Resolved == "" {
		return r.LastError
	}
	return "lost answer resolved: " + r.Resolved + "; " + r.LastError
}

func jobView(j usher.Job) jobRow {
	r := jobRow{ID: j.ID, TrackingID: j.TrackingID, Institution: j.Institution, Kind: j.Kind, Target: j.OrderKey,
		State: j.State, Attempts: j.Attempts, MaxAttempts: j.MaxAttempts, Replayed: j.Replayed, When: j.RunAt, LastError: j.LastError}
	if j.FinishedAt != nil {
		r.When = *j.FinishedAt
	}
	var res struct {
		Resolved string `json:"resolved"`
	}
	if json.Unmarshal(j.Result, &res) == nil {
		r.Resolved = res.Resolved
	}
	if j.Kind == usher.KindCRMDelivery {
		var p usher.DeliveryPayload
		if json.Unmarshal(j.Payload, &p) == nil {
			r.Target = fmt.Sprintf("%s ← %s %s v%d", p.Destination, p.Stream, p.ExternalID, p.Version)
		}
	}
	return r
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
