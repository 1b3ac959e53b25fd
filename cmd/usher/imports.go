package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/crm"
)

// enqueueChunk is how many rows one transaction queues.
const enqueueChunk = 500

// importOptions are the flags of `usher contacts import`.
type importOptions struct {
	institution, id, rejects, pause, resume string
	wait, paused                            bool
	poll                                    time.Duration
}

// runContactsImport serves `usher contacts import`: it checks every row
// of FILE, writes the rejected ones with their reasons to a file, and
// queues the rest for S-360 through the outbox, each under a key of its
// own so that a re-run queues nothing twice. With --pause or --resume it
// holds or releases an import's queued jobs instead.
func runContactsImport(ctx context.Context, e env, args []string) error {
	fs, cf := commandFlags("contacts import", e)
	o := importOptions{}
	fs.StringVar(&o.institution, "institution", "", "institution code (required)")
	fs.StringVar(&o.id, "id", "", "import id (default: derived from the file's content, so a re-run is the same import)")
	fs.StringVar(&o.rejects, "rejects", "", "file for the rejected rows and their reasons, JSON lines (default FILE.rejected.jsonl)")
	fs.StringVar(&o.pause, "pause", "", "pause the import with this id: its queued rows wait, none is lost")
	fs.StringVar(&o.resume, "resume", "", "resume the paused import with this id")
	fs.BoolVar(&o.paused, "paused", false, "queue the rows paused: nothing goes to S-360 until --resume ID")
	fs.BoolVar(&o.wait, "wait", true, "after queueing, follow the import until it is done, with rate and time left")
	fs.DurationVar(&o.poll, "poll", time.Second, "how often --wait reads the import's progress")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if o.institution == "" {
		return usagef("contacts import: --institution is required")
	}
	if (o.pause != "" || o.resume != "") != (fs.NArg() == 0) {
		return usagef("contacts import: give one FILE, or --pause ID or --resume ID")
	}
	cfg, st, err := cf.openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	i := institutionIndex(cfg, o.institution)
	if i < 0 || cfg.Institutions[i].S360API == nil {
		return fmt.Errorf("--institution %s: no such institution with an s360_api in the configuration", o.institution)
	}
	if o.pause != "" || o.resume != "" {
		return holdImport(ctx, e, st, o)
	}
	api := cfg.Institutions[i].S360API.WithDefaults(o.institution)
	return importFile(ctx, e, st, o, fs.Arg(0), api.MaxAttempts)
}

func holdImport(ctx context.Context, e env, st usher.OutboxStore, o importOptions) error {
	id, hold := o.resume, false
	if o.pause != "" {
		id, hold = o.pause, true
	}
	n, err := st.HoldJobs(ctx, o.institution, crm.ImportPrefix(id), hold, time.Now())
	if err != nil {
		return err
	}
	verb := "resumed"
	if hold {
		verb = "paused"
	}
	fmt.Fprintf(e.stdout, "import %s %s: %d queued rows %s\n", id, verb, n, verb)
	return nil
}

func importFile(ctx context.Context, e env, st usher.OutboxStore, o importOptions, path string, attempts int) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("contacts import: %w", err)
	}
	if o.id == "" {
		sum := sha256.Sum256(data)
		o.id = hex.EncodeToString(sum[:6])
	}
	if o.rejects == "" {
		o.rejects = path + ".rejected.jsonl"
	}
	// Jobs are stamped to the microsecond by both engines: a job created
	// before this instant was queued by an earlier run.
	startedAt := time.Now().Truncate(time.Microsecond)
	rows, err := crm.ReadImport(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("contacts import %s: %w", path, err)
	}
	jobs, rejected, err := checkRows(rows, o, attempts, o.rejects)
	if err != nil {
		return err
	}
	// A row queued before (a re-run, or the same row in another file)
	// comes back as the job it already has: it is not queued again.
	before := 0
	for start := 0; start < len(jobs); start += enqueueChunk {
		got, err := st.EnqueueJobs(ctx, jobs[start:min(start+enqueueChunk, len(jobs))])
		if err != nil {
			return fmt.Errorf("contacts import: queueing rows: %w", err)
		}
		for _, j := range got {
			if j.CreatedAt.Before(startedAt) {
				before++
			}
		}
	}
	if o.paused { // rows an earlier run queued are held too
		if _, err := st.HoldJobs(ctx, o.institution, crm.ImportPrefix(o.id), true, time.Now()); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "import %s: %d rows, %d accepted (%d of them queued by an earlier run), %d rejected (see %s)\n",
		o.id, len(rows), len(jobs), before, rejected, o.rejects)
	fmt.Fprintf(e.stdout, "pause with: usher contacts import --institution %s --pause %s\n", o.institution, o.id)
	if !o.wait || o.paused || len(jobs) == 0 {
		return nil
	}
	return followImport(ctx, e, st, o, len(jobs))
}

// checkRows validates rows, writing the rejected ones with their reasons
// to rejectsPath, and returns the jobs of the others (one per key).
func checkRows(rows []crm.ImportRow, o importOptions, attempts int, rejectsPath string) ([]usher.NewJob, int, error) {
	f, err := os.Create(rejectsPath)
	if err != nil {
		return nil, 0, fmt.Errorf("--rejects: %w", err)
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	seen := map[string]bool{}
	var jobs []usher.NewJob
	rejected := 0
	runAt := time.Now()
	if o.paused {
		runAt = usher.HeldUntil // no worker may take a row before the pause is in place
	}
	for i := range rows {
		if err := crm.CheckImportRow(&rows[i]); err != nil {
			rejected++
			if err := enc.Encode(rejection(rows[i], err)); err != nil {
				return nil, 0, fmt.Errorf("--rejects %s: %w", rejectsPath, err)
			}
			continue
		}
		if seen[rows[i].Key] {
			continue // the same row twice in the file: one contact
		}
		seen[rows[i].Key] = true
		jobs = append(jobs, crm.ImportJob(o.institution, o.id, rows[i], attempts, runAt))
	}
	return jobs, rejected, f.Close()
}

// rejectedRow is a line of the rejects file.
type rejectedRow struct {
	Line    int               `json:"line"`
	Row     json.RawMessage   `json:"row"`
	Error   string            `json:"error"`
	Reasons []usher.Violation `json:"reasons,omitempty"`
}

func rejection(row crm.ImportRow, err error) rejectedRow {
	r := rejectedRow{Line: row.Line, Row: row.Body, Error: errorText(err)}
	if !json.Valid(row.Body) {
		r.Row, _ = json.Marshal(string(row.Body))
	}
	var ue *usher.Error
	if errors.As(err, &ue) {
		if v, ok := ue.Detail.([]usher.Violation); ok {
			r.Reasons = v
		}
	}
	return r
}

// followImport shows the import's progress (done rows, rate, time left)
// until every row is done or failed, or the import is paused.
func followImport(ctx context.Context, e env, st usher.OutboxStore, o importOptions, total int) error {
	prefix := crm.ImportPrefix(o.id)
	counts, _, err := st.CountJobsByPrefix(ctx, o.institution, prefix)
	if err != nil {
		return err
	}
	p := newProgress(e.stderr, "import "+o.id, "contacts", total)
	shown := counts[usher.JobDone] + counts[usher.JobFailed]
	p.Add(shown)
	t := time.NewTicker(o.poll)
	defer t.Stop()
	for {
		counts, held, err := st.CountJobsByPrefix(ctx, o.institution, prefix)
		if err != nil {
			return err
		}
		finished := counts[usher.JobDone] + counts[usher.JobFailed]
		if finished > shown {
			p.Add(finished - shown)
			shown = finished
		}
		open := counts[usher.JobQueued] + counts[usher.JobInFlight]
		if open == 0 || (held > 0 && held == open) {
			p.Finish()
			fmt.Fprintf(e.stdout, "import %s: %d done, %d failed, %d paused\n", o.id, counts[usher.JobDone], counts[usher.JobFailed], held)
			if counts[usher.JobFailed] > 0 {
				return fmt.Errorf("import %s: %d rows failed: see usher deliveries list --kind %s --state failed", o.id, counts[usher.JobFailed], usher.KindS360ImportContact)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			p.Finish()
			return ctx.Err()
		case <-t.C:
		}
	}
}
