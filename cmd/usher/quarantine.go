package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/ingest"
	"github.com/usher-hub/usher/internal/quarantine"
)

const (
	quarantineListHelp   = "Shows documents that failed validation, oldest first, with their violations."
	quarantineReplayHelp = `Re-validates pending documents against the schemas in force now (built-in
and schema_dir) and moves those that pass into the store; running it again
is safe.`
)

// runQuarantine dispatches usher quarantine list|replay.
func runQuarantine(ctx context.Context, e env, args []string) error {
	switch {
	case len(args) > 0 && args[0] == "list":
		return runQuarantineList(ctx, e, args[1:])
	case len(args) > 0 && args[0] == "replay":
		return runQuarantineReplay(ctx, e, args[1:])
	}
	return groupUsage(ctx, e, "quarantine", args, []string{"list", "replay"}, runQuarantine)
}

func runQuarantineList(ctx context.Context, e env, args []string) error {
	fs, cf := commandFlags("quarantine list", e)
	institution := fs.String("institution", "", "only this institution")
	stream := fs.String("stream", "", "only this stream: contacts, orders or ticketchecks")
	status := fs.String("status", "pending", "pending, released or all")
	limit := fs.Int("limit", 50, fmt.Sprintf("at most this many (1-%d)", quarantine.MaxLimit))
	afterID := fs.Int64("after-id", 0, "only ids above this one (the next page)")
	asJSON := fs.Bool("json", false, "print JSON, as GET /api/v1/quarantine does")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	// The flags are the API's query parameters: one parser checks both.
	q := url.Values{"status": {*status}, "limit": {fmt.Sprint(*limit)}, "after_id": {fmt.Sprint(*afterID)}}
	if *stream != "" {
		q.Set("stream", *stream)
	}
	if *institution != "" {
		q.Set("institution", *institution)
	}
	f, err := quarantine.ParseFilter(q)
	if err != nil {
		return errors.New(usher.ErrorMessage(err))
	}
	_, st, err := cf.openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	docs, err := st.FindQuarantined(ctx, f)
	if err != nil {
		return err
	}
	if *asJSON {
		return printQuarantineJSON(e.stdout, docs, f.Limit)
	}
	printQuarantineTable(e.stdout, docs)
	return nil
}

func printQuarantineJSON(w io.Writer, docs []usher.QuarantinedDocument, limit int) error {
	page := quarantine.Page{Items: make([]quarantine.Item, 0, len(docs))}
	for _, d := range docs {
		page.Items = append(page.Items, quarantine.NewItem(d))
	}
	if len(docs) == limit {
		page.NextAfterID = docs[len(docs)-1].ID
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(page)
}

func printQuarantineTable(w io.Writer, docs []usher.QuarantinedDocument) {
	if len(docs) == 0 {
		fmt.Fprintln(w, "no quarantined documents match")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tINSTITUTION\tSTREAM\tEXTERNAL ID\tRECEIVED\tSEEN\tSTATUS\tVIOLATIONS")
	for _, d := range docs {
		status := "pending"
		if d.ReleasedAt != nil {
			status = "released (" + string(d.ReleaseOutcome) + ")"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.Institution, d.Stream, orDash(d.ExternalID),
			d.ReceivedAt.UTC().Format(time.RFC3339), d.SeenCount, status, summarize(d.Violations))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nevery violation, the schema version and the document: usher quarantine list -json")
}

// summarize shows the first violation and how many others there are.
func summarize(vs []usher.Violation) string {
	if len(vs) == 0 {
		return "-"
	}
	s := vs[0].Path + ": " + strings.ReplaceAll(vs[0].Message, "\n", " ")
	if len(vs) > 1 {
		s += fmt.Sprintf(" (+%d more)", len(vs)-1)
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// countPending counts the documents a replay will check, for its
// progress: pages of ids, cheap beside validating and storing each one.
func countPending(ctx context.Context, st usher.Store, opts quarantine.ReplayOptions) (int, error) {
	f := usher.QuarantineFilter{Stream: opts.Stream, Status: usher.QuarantinePending, Limit: quarantine.MaxLimit}
	if opts.Institution != "" {
		f.Institutions = []string{opts.Institution}
	}
	n := 0
	for {
		page, err := st.FindQuarantined(ctx, f)
		if err != nil {
			return 0, err
		}
		n += len(page)
		if len(page) < f.Limit {
			return n, nil
		}
		f.AfterID = page[len(page)-1].ID
	}
}

func runQuarantineReplay(ctx context.Context, e env, args []string) error {
	fs, cf := commandFlags("quarantine replay", e)
	institution := fs.String("institution", "", "only this institution")
	streamName := fs.String("stream", "", "only this stream: contacts, orders or ticketchecks")
	dryRun := fs.Bool("dry-run", false, "count what would pass without storing anything")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	opts := quarantine.ReplayOptions{Institution: *institution, DryRun: *dryRun}
	if *streamName != "" {
		s, err := usher.ParseStream(*streamName)
		if err != nil {
			return errors.New(usher.ErrorMessage(err))
		}
		opts.Stream = s
	}
	cfg, err := cf.load(e)
	if err != nil {
		return err
	}
	logger := newLogger(e.stderr, cfg)
	validator, err := newValidator(cfg, nil, logger)
	if err != nil {
		return err
	}
	st, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	pending, err := countPending(ctx, st, opts)
	if err != nil {
		return err
	}
	bar := newProgress(e.stderr, "quarantine replay", "documents", pending)
	opts.Progress = func() { bar.Add(1) }
	sum, err := quarantine.NewReplayer(st, validator, ingest.Describe, logger).Replay(ctx, opts)
	bar.Finish()
	if err != nil {
		return fmt.Errorf("replay stopped after %d documents: %w", sum.Checked, err)
	}
	logger.Info("quarantine: replay done", "checked", sum.Checked, "stored", sum.Stored, "duplicate", sum.Duplicate,
		"still_invalid", sum.StillInvalid, "would_release", sum.WouldRelease, "dry_run", opts.DryRun)
	if opts.DryRun {
		fmt.Fprintf(e.stdout, "dry run: checked %d quarantined documents: %d would be released, %d still invalid\n",
			sum.Checked, sum.WouldRelease, sum.StillInvalid)
		return nil
	}
	fmt.Fprintf(e.stdout, "checked %d quarantined documents: %d released (%d stored, %d already stored), %d still invalid\n",
		sum.Checked, sum.Stored+sum.Duplicate, sum.Stored, sum.Duplicate, sum.StillInvalid)
	return nil
}
