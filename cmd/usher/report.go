package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
	"github.com/usher-hub/usher/internal/config"
)

const reportHelp = `REPORT (any case) is sales, attendance, gates, breakdown or contacts; health (the last
push of each stream); or rebuild (recompute the report projections from the
stored documents, after a bulk import or to repair them).

Examples:
  usher report sales --institution myvenue --from 2023-02-01 --to 2023-02-28 --by product
  usher report attendance --institution myvenue --interval hour --from 2023-02-09 --to 2023-02-09
  usher report gates --institution myvenue --format csv --table reasons > reasons.csv
`

// reportNames are every report `usher report` prints, and its two
// maintenance actions.
var reportNames = []string{"sales", "attendance", "gates", "breakdown", "contacts", "health", "rebuild"}

// reportFlags are the flags of `usher report`.
type reportFlags struct {
	configFlags
	institution, from, to, interval, by, format, table string
}

func (f *reportFlags) register(fs *flag.FlagSet, e env) {
	f.configFlags.register(fs, e)
	fs.StringVar(&f.institution, "institution", "", "institution code (default: the only configured one)")
	fs.StringVar(&f.from, "from", "", "first day, YYYY-MM-DD (default: 29 days before --to)")
	fs.StringVar(&f.to, "to", "", "last day, YYYY-MM-DD (default: today in analytics.timezone)")
	fs.StringVar(&f.interval, "interval", "", "hour (attendance only), day, week or month (default day)")
	fs.StringVar(&f.by, "by", "", "sales: all, product or event; gates: gate or flow; breakdown: product, audience or category")
	fs.StringVar(&f.format, "format", "table", "table, csv or json")
	fs.StringVar(&f.table, "table", "", "csv: rows (default), or reasons for the gates report")
}

// params returns the report parameters given on the command line, in the
// API's form, so both are validated by the same code.
func (f *reportFlags) params() url.Values {
	v := url.Values{}
	for k, x := range map[string]string{"from": f.from, "to": f.to, "interval": f.interval, "by": f.by, "table": f.table} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v
}

// runReport prints a report read straight from the database.
func runReport(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	var f reportFlags
	f.register(fs, e)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.SetOutput(e.stderr)
		fs.Usage()
		return usagef("report: name a report: %s", strings.Join(reportNames, ", "))
	}
	if fs.NArg() > 1 {
		return usagef("report: unexpected argument %q after the report name", fs.Arg(1))
	}
	// The README writes SALES; any case names the same report.
	name := strings.ToLower(fs.Arg(0))
	if !slices.Contains(reportNames, name) {
		return usagef("report: no report %q; the reports are %s", fs.Arg(0), strings.Join(reportNames, ", "))
	}
	cfg, err := f.load(e)
	if err != nil {
		return err
	}
	inst, err := reportInstitution(cfg, f.institution)
	if err != nil {
		return err
	}
	zone, err := cfg.Analytics.Location()
	if err != nil {
		return err
	}
	st, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := analytics.NewService(st, time.Now, zone)
	switch name {
	case "health":
		return printHealth(ctx, e.stdout, svc, inst)
	case "rebuild":
		if err := rebuild(ctx, e, st, inst); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "report projections of %s rebuilt from the stored documents\n", inst)
		return nil
	}
	// What ingest queued is applied first, so that a report printed while
	// no server runs (or right after a push) is current.
	if err := analytics.CatchUp(ctx, st, 1000, 1_000_000); err != nil {
		return err
	}
	return printReport(ctx, e.stdout, svc, name, inst, &f)
}

// stepRebuilder is a store whose rebuild reports each step (both engines).
type stepRebuilder interface {
	RebuildAnalyticsSteps(ctx context.Context, institution string, step func(done, total int)) error
}

// rebuild recomputes inst's projections, showing its progress: a rebuild
// of a million orders takes minutes, and silence reads as a hang.
func rebuild(ctx context.Context, e env, st usher.Store, inst string) error {
	r, ok := st.(stepRebuilder)
	if !ok {
		return st.RebuildAnalytics(ctx, inst)
	}
	var bar progress
	shown := 0
	// done counts from the start: statements on PostgreSQL, applied queue
	// entries on SQLite, whose rebuild works in slices.
	err := r.RebuildAnalyticsSteps(ctx, inst, func(done, total int) {
		if bar == nil {
			bar = newProgress(e.stderr, "rebuild "+inst, "steps", total)
		}
		if done > shown {
			bar.Add(done - shown)
			shown = done
		}
	})
	if bar != nil {
		bar.Finish()
	}
	return err
}

// reportInstitution returns the institution asked for, or the only one
// configured. A code the configuration does not know is refused, so a typo
// does not print an empty report; with no institution configured (reading
// a database without its configuration) any code goes.
func reportInstitution(cfg config.Config, asked string) (string, error) {
	var codes []string
	for _, inst := range cfg.Institutions {
		codes = append(codes, inst.Code)
	}
	switch {
	case asked == "" && len(codes) == 1:
		return codes[0], nil
	case asked == "":
		return "", errors.New("report: give --institution (the configuration has none or several)")
	case len(codes) > 0 && !slices.Contains(codes, asked):
		return "", fmt.Errorf("report: institution %q is not configured (configured: %s)", asked, strings.Join(codes, ", "))
	}
	return asked, nil
}

func printReport(ctx context.Context, w io.Writer, svc *analytics.Service, name, inst string, f *reportFlags) error {
	rep, err := analytics.ParseReport(name)
	if err != nil {
		return errors.New(usher.ErrorMessage(err))
	}
	params := f.params()
	export, err := analytics.ParseExport(rep, params)
	if err != nil {
		return errors.New(usher.ErrorMessage(err))
	}
	q, err := analytics.ParseQuery(rep, inst, params, svc.Today())
	if err != nil {
		return errors.New(usher.ErrorMessage(err))
	}
	res, err := svc.Run(ctx, rep, q)
	if err != nil {
		return err
	}
	switch f.format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	case "csv":
		rows := res.Rows
		if export.Table == "reasons" {
			rows = res.Reasons
		}
		return analytics.WriteCSV(w, rows)
	case "table":
		return printTable(w, res)
	}
	return fmt.Errorf("report: --format must be table, csv or json, got %q", f.format)
}

// printTable writes a report for a person: a title, the rows aligned in
// columns, and the figures that are not per period.
func printTable(w io.Writer, res *analytics.Result) error {
	title := fmt.Sprintf("%s of %s, %s to %s, per %s", res.Report, res.Institution, res.From, res.To, res.Interval)
	if res.By != "" {
		title += ", by " + res.By
	}
	if res.Currency != "" {
		title += ", money in " + res.Currency
	}
	fmt.Fprintln(w, title)
	tables := []any{res.Rows}
	if res.Reasons != nil {
		tables = append(tables, res.Reasons)
	}
	for _, rows := range tables {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
		header, cells := analytics.Table(rows)
		fmt.Fprintln(tw, strings.Join(header, "\t"))
		for _, line := range cells {
			fmt.Fprintln(tw, strings.Join(line, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if res.Summary != nil {
		summary, err := json.Marshal(res.Summary)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\nsummary: %s\n", summary)
	}
	return nil
}

func printHealth(ctx context.Context, w io.Writer, svc *analytics.Service, inst string) error {
	rows, err := svc.Health(ctx, inst)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "stream\tlast push\tdocuments in the last %s\n", analytics.HealthWindow)
	for _, r := range rows {
		last := "never"
		if r.LastReceivedAt != nil {
			last = r.LastReceivedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\n", r.Stream, last, r.ReceivedSince)
	}
	return tw.Flush()
}
