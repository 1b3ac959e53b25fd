package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/usher-hub/usher"
)

// runDeliveries is `usher deliveries list|retry`: the operator's view of
// the outbox (CRM deliveries and writes to S-360), straight from the
// database, so it works while the server is down.
func runDeliveries(ctx context.Context, e env, args []string) error {
	subs := []string{"list", "retry"}
	if len(args) == 0 || !slices.Contains(subs, args[0]) {
		return groupUsage(ctx, e, "deliveries", args, subs, runDeliveries)
	}
	sub := args[0]
	fs, cf, o := deliveriesFlags(sub, e)
	if err := parseFlags(fs, e, args[1:]); err != nil {
		return err
	}
	filter, err := jobFilter(o.institution, o.kind, o.state, o.limit)
	if err != nil {
		return err
	}
	_, st, err := cf.openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	if o.ids != "" {
		if filter.IDs, err = resolveJobIDs(ctx, st, filter, o.ids); err != nil {
			return err
		}
	}
	if sub == "list" {
		return listJobs(ctx, e, st, filter, o.asJSON)
	}
	if len(filter.IDs) == 0 && !o.all {
		return usagef("deliveries retry: name the jobs with -id, or pass -all to retry every failed job that matches")
	}
	n, err := st.RetryJobs(ctx, filter, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d failed job(s) queued again; a running usher picks them up within its poll interval\n", n)
	if len(filter.IDs) > n {
		fmt.Fprintf(e.stdout, "%d of the jobs named were not failed (only failed jobs are retried): see usher deliveries list -id %s\n", len(filter.IDs)-n, o.ids)
	}
	return nil
}

type deliveriesOptions struct {
	institution, kind, state, ids string
	limit                         int
	asJSON, all                   bool
}

// deliveriesFlags are the flags of `usher deliveries SUB`.
func deliveriesFlags(sub string, e env) (*flag.FlagSet, *configFlags, *deliveriesOptions) {
	fs, cf := commandFlags("deliveries "+sub, e)
	o := &deliveriesOptions{}
	fs.StringVar(&o.institution, "institution", "", "only this institution's jobs")
	fs.StringVar(&o.kind, "kind", "", "only jobs of this kind: crm.delivery, s360.contact.save, s360.booking.create")
	fs.StringVar(&o.ids, "id", "", "only these jobs, comma-separated: job_42 or 42 (the id the logs and the list show)")
	if sub == "list" {
		fs.StringVar(&o.state, "state", "", "only jobs in this state: queued, inflight, done, failed")
		fs.IntVar(&o.limit, "limit", 50, "at most this many jobs, newest first")
		fs.BoolVar(&o.asJSON, "json", false, "print JSON lines instead of a table")
	} else {
		fs.BoolVar(&o.all, "all", false, "every failed job matching -institution and -kind")
	}
	return fs, cf, o
}

func jobFilter(inst, kind, state string, limit int) (usher.JobFilter, error) {
	f := usher.JobFilter{Kind: kind, Limit: limit}
	if inst != "" {
		f.Institutions = []string{inst}
	}
	if state != "" {
		s, err := usher.ParseJobState(state)
		if err != nil {
			return f, usagef("-state: %s", errorText(err))
		}
		f.State = s
	}
	return f, nil
}

// resolveJobIDs turns the ids given to -id, as the logs and the list show
// them (job_…) or as row numbers, into row numbers. An id that names no
// job is an error that names it, never an empty list.
func resolveJobIDs(ctx context.Context, st usher.Store, f usher.JobFilter, list string) ([]int64, error) {
	var ids []int64
	var tracking []string
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
		case strings.HasPrefix(part, "job_"):
			tracking = append(tracking, part)
		default:
			id, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				return nil, usagef("-id: %q is not a job id (job_… as in the logs, or a number)", part)
			}
			ids = append(ids, id)
		}
	}
	// The ids are checked against every job that exists, whatever its
	// state: an id that is not listed because it is done is not missing.
	var missing []string
	found, err := st.FindJobs(ctx, usher.JobFilter{Institutions: f.Institutions, Kind: f.Kind, IDs: ids, Limit: len(ids) + 1})
	if err != nil {
		return nil, err
	}
	exists := map[int64]bool{}
	for _, j := range found {
		exists[j.ID] = true
	}
	for _, id := range ids {
		if !exists[id] {
			missing = append(missing, strconv.FormatInt(id, 10))
		}
	}
	institutions, err := jobInstitutions(ctx, st, f)
	if err != nil {
		return nil, err
	}
	for _, t := range tracking {
		id, err := jobByTrackingID(ctx, st, institutions, f.Kind, t)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			missing = append(missing, t)
		}
		ids = append(ids, id)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no job %s%s", strings.Join(missing, ", "), filterWords(f))
	}
	return ids, nil
}

// jobInstitutions are the institutions a tracking id may belong to: the
// one asked for, or every one that has jobs.
func jobInstitutions(ctx context.Context, st usher.Store, f usher.JobFilter) ([]string, error) {
	if len(f.Institutions) > 0 {
		return f.Institutions, nil
	}
	counts, err := st.CountJobs(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range counts {
		if !slices.Contains(out, c.Institution) {
			out = append(out, c.Institution)
		}
	}
	return out, nil
}

// jobByTrackingID returns the row number of the job the logs call
// tracking, or 0 when no institution has it.
func jobByTrackingID(ctx context.Context, st usher.Store, institutions []string, kind, tracking string) (int64, error) {
	for _, inst := range institutions {
		j, err := st.JobByTrackingID(ctx, inst, tracking)
		if usher.ErrorCode(err) == usher.ENOTFOUND {
			continue
		}
		if err != nil {
			return 0, err
		}
		if kind == "" || j.Kind == kind {
			return j.ID, nil
		}
	}
	return 0, nil
}

// filterWords says which filters narrowed a search that found nothing.
func filterWords(f usher.JobFilter) string {
	var w []string
	if len(f.Institutions) > 0 {
		w = append(w, "institution "+strings.Join(f.Institutions, ", "))
	}
	if f.Kind != "" {
		w = append(w, "kind "+f.Kind)
	}
	if len(w) == 0 {
		return ""
	}
	return " of " + strings.Join(w, " and ")
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
		attempts := fmt.Sprintf("%d/%d", j.Attempts, j.MaxAttempts)
		if j.Replayed {
			// A retry starts the count again: say so, or 1/8 reads as a
			// job tried once.
			attempts += " since retry"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.TrackingID, j.Institution, j.Kind, v.Target, j.State,
			attempts, v.When.Format(time.RFC3339), orDash(truncate(v.note(), 60)))
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
	switch {
	case r.Resolved == "":
		return r.LastError
	case r.LastError == "":
		return "lost answer resolved: " + r.Resolved
	}
	return "lost answer resolved: " + r.Resolved + "; " + r.LastError
}

func jobView(j usher.Job) jobRow {
	r := jobRow{ID: j.ID, TrackingID: j.TrackingID, Institution: j.Institution, Kind: j.Kind, Target: j.OrderKey,
		State: j.State, Attempts: j.Attempts, MaxAttempts: j.MaxAttempts, Replayed: j.Replayed, When: j.RunAt, LastError: j.LastError}
	if j.FinishedAt != nil {
		r.When = *j.FinishedAt
	}
	if j.State == usher.JobDone {
		// The error of an attempt before the one that succeeded is history,
		// not a problem to act on.
		r.LastError = ""
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
