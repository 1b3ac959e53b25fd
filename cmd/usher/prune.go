package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/config"
	"github.com/usher-hub/usher/internal/retention"
)

const pruneHelp = `Applies the institutions' retention settings (institutions[].retention) now:
removes superseded versions, ticket checks and quarantined documents older
than they allow, in batches of pruning.batch_size rows, each its own short
transaction, so a server may keep running. The current version of every
document, its newest version and whatever the report projections still
need are never removed. A run that removed anything is audited beside the
erasures (usher prune --audit). Without a retention setting nothing goes.

Examples:
  usher prune --dry-run
  usher prune --institution myvenue
  usher prune --audit --institution myvenue
`

// pruneMinWait and pruneMaxWait bound the server's pruner's wait between
// two batches while pushes are busy (retention.Pacer, pruning.busy_share):
// at least a gap pushes can use, at most a stall of the pruning.
const (
	pruneMinWait = 5 * time.Millisecond
	pruneMaxWait = time.Second
)

// runPrune serves `usher prune`.
func runPrune(ctx context.Context, e env, args []string) error {
	fs, cf := commandFlags("prune", e)
	dryRun := fs.Bool("dry-run", false, "print what would go, per institution and stream; remove nothing")
	institution := fs.String("institution", "", "only this institution (default: every configured one)")
	batch := fs.Int("batch-size", 0, "rows one transaction examines, 1-5000 (default pruning.batch_size)")
	audit := fs.Bool("audit", false, "print the audit records of past runs (JSON lines) instead of pruning")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("prune: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := cf.load(e)
	if err != nil {
		return err
	}
	if *batch != 0 {
		cfg.Pruning.BatchSize = *batch
		if err := cfg.Validate(); err != nil {
			return usagef("--batch-size: %v", err)
		}
	}
	rules, codes := pruneRules(cfg, *institution)
	if *institution != "" && len(codes) == 0 {
		return usagef("prune: institution %q is not configured", *institution)
	}
	st, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	p, ok := st.(usher.Pruner)
	if !ok {
		return fmt.Errorf("prune: the %T store cannot prune", st)
	}
	if *audit {
		return printPruneAudit(ctx, e, p, codes)
	}
	if len(rules) == 0 {
		fmt.Fprintln(e.stdout, "No retention setting: everything is kept (institutions[].retention, docs/operations.md#retention).")
		return nil
	}
	opts := retention.Options{BatchSize: cfg.Pruning.BatchSize, DryRun: true, Actor: "usher prune (" + orString(e.getenv("USER"), "unknown user") + ")"}
	planned, err := retention.Run(ctx, p, rules, opts)
	if err != nil {
		return err
	}
	if *dryRun {
		printPruneRuns(e, planned, "would prune")
		return nil
	}
	total := 0
	for _, r := range planned {
		total += r.Result.Pruned
	}
	bar := newProgress(e.stderr, "pruning", "rows", total)
	opts.DryRun = false
	opts.Progress = func(_ usher.RetentionRule, b usher.PruneResult) { bar.Add(b.Pruned) }
	done, err := retention.Run(ctx, p, rules, opts)
	bar.Finish()
	printPruneRuns(e, done, "pruned")
	return err
}

// pruneRules returns the configured rules, of one institution when
// institution is set, and the institutions concerned.
func pruneRules(cfg config.Config, institution string) ([]usher.RetentionRule, []string) {
	var rules []usher.RetentionRule
	var codes []string
	for _, r := range cfg.RetentionRules() {
		if institution == "" || r.Institution == institution {
			rules = append(rules, r)
		}
	}
	for _, inst := range cfg.Institutions {
		if institution == "" || inst.Code == institution {
			codes = append(codes, inst.Code)
		}
	}
	return rules, codes
}

// printPruneRuns prints one line per rule: what went (or would) and what
// stayed, and why.
func printPruneRuns(e env, runs []usher.PruneRun, verb string) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "INSTITUTION\tSTREAM\tWHAT\tKEEP\tOLDER THAN\t%s\tKEPT: CURRENT\tKEPT: FOR REPORTS\n", strings.ToUpper(verb))
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\n", r.Rule.Institution, r.Rule.Stream, r.Rule.Kind, config.Age(r.Rule.Keep),
			r.Cutoff.Format(time.RFC3339), r.Result.Pruned, r.Result.KeptCurrent, r.Result.KeptProjection)
	}
	tw.Flush()
}

// printPruneAudit prints the audit records of the institutions' runs.
func printPruneAudit(ctx context.Context, e env, p usher.Pruner, codes []string) error {
	enc := json.NewEncoder(e.stdout)
	for _, code := range codes {
		runs, err := p.PruneRuns(ctx, code)
		if err != nil {
			return err
		}
		for _, r := range runs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
	}
	return nil
}
