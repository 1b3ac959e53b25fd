// Command usher is the integration hub's one binary: the server, its
// migrations, the simulators and the operator's command-line tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, errHelp) {
		fmt.Fprintln(os.Stderr, "usher:", errorText(err))
	}
	os.Exit(exitCode(err))
}

// env is what every subcommand receives.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

// commands lists every subcommand; each lives in a file of its own.
func commands() map[string]command {
	return map[string]command{
		"serve":      {"start the server (ingest, API, dashboard)", runServe},
		"migrate":    {"apply database migrations and exit", runMigrate},
		"config":     {"print the effective configuration, secrets redacted", runConfig},
		"version":    {"print the version", runVersion},
		"contacts":   {"import contacts into S-360 in bulk, erase a contact's personal data (GDPR), list erasures", runContacts},
		"quarantine": {"list quarantined documents or replay them against the current schemas", runQuarantine},
		"demo":       {"start usher on SQLite with a simulated S-360 venue pushing to it", runDemo},
		"sim":        {"run a stand-in upstream: sim s360 pushes a simulated venue, sim centaman serves a Centaman API", runSim},
		"deliveries": {"list or retry outbox jobs: CRM deliveries and writes to S-360", runDeliveries},
		"plan":       {"plan a bulk load into S-360: calls, time at the rate limit, share of the daily budget", runPlan},
		"report":     {"print a venue report (sales, attendance, gates, breakdown, contacts, health)", runReport},
		"prune":      {"apply the retention settings now, or print what they would remove (--dry-run)", runPrune},
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdout: stdout, stderr: stderr}
	cmds := commands()
	if len(args) < 2 {
		usage(stderr, cmds)
		return usagef("name a command")
	}
	if isHelp(args[1]) {
		usage(stdout, cmds)
		return errHelp
	}
	c, ok := cmds[args[1]]
	if !ok {
		usage(stderr, cmds)
		return usagef("unknown command %q", args[1])
	}
	return c.run(ctx, e, args[2:])
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for name := range cmds {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: usher <command> [flags]")
	fmt.Fprintln(w)
	for _, name := range names {
		fmt.Fprintf(w, "  %-12s %s\n", name, cmds[name].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'usher <command> -h' for a command's flags. Configuration: docs/configuration.md.")
}

// version may be set at build time with -ldflags "-X main.version=…";
// otherwise the module version from the build information is printed.
var version = ""

func runVersion(_ context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, versionLine())
	return nil
}

// versionLine names the module version, the VCS revision and time the
// binary was built from (go build records them from the checkout), and
// the Go release: what an operator quotes in a bug report.
func versionLine() string {
	v, extra := version, []string{}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "usher " + orString(v, "(unknown version)")
	}
	if v == "" {
		v = info.Main.Version
	}
	if v == "" || v == "(devel)" {
		v = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		extra = append(extra, "revision "+rev)
	} else {
		extra = append(extra, "revision unknown (built without VCS information)")
	}
	if t := settings["vcs.time"]; t != "" {
		extra = append(extra, "committed "+t)
	}
	if settings["vcs.modified"] == "true" {
		extra = append(extra, "with uncommitted changes")
	}
	extra = append(extra, info.GoVersion)
	if settings["CGO_ENABLED"] == "0" {
		extra = append(extra, "static (CGO_ENABLED=0)")
	}
	return fmt.Sprintf("usher %s (%s)", v, strings.Join(extra, ", "))
}

func orString(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}
