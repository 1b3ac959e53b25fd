package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/usher-hub/usher"
)

// errHelp is returned when -h or --help was asked for and the help was
// printed: the command succeeded (exit 0) without doing its work.
var errHelp = errors.New("help printed")

// usageError is a mistake on the command line: an unknown flag, a missing
// argument. It exits 2, as the flag package's own commands do.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitCode maps what run returned to the process's exit status: 0 for
// success and for help, 2 for a command line that cannot be understood,
// 1 for everything else.
func exitCode(err error) int {
	var u usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, &u):
		return 2
	}
	return 1
}

// errorText is the error as an operator reads it: an application error
// shows its message and cause, never its internal code (not_found: …).
func errorText(err error) string {
	var e *usher.Error
	if errors.As(err, &e) && err.Error() == e.Error() {
		if e.Err != nil {
			return e.Message + ": " + e.Err.Error()
		}
		return e.Message
	}
	if errors.As(err, &e) {
		// Wrapped: replace the code prefix where the wrapped text shows it.
		return strings.Replace(err.Error(), e.Code+": ", "", 1)
	}
	return err.Error()
}

// synopses are the command lines shown above a command's flags, for the
// commands that take arguments besides flags.
var synopses = map[string]string{
	"contacts forget":   "usher contacts forget [flags] CONTACT_NUMBER",
	"contacts erasures": "usher contacts erasures [flags]",
	"contacts import":   "usher contacts import --institution CODE [flags] FILE | --pause ID | --resume ID",
	"plan":              "usher plan --institution CODE (--contacts N [--bookings M] | --file FILE) [--json]",
	"deliveries list":   "usher deliveries list [flags]",
	"deliveries retry":  "usher deliveries retry (-id N[,N…] | -all) [flags]",
	"quarantine list":   "usher quarantine list [flags]",
	"quarantine replay": "usher quarantine replay [flags]",
	"report":            "usher report REPORT [flags]",
	"sim s360":          "usher sim s360 --target URL [flags]",
	"sim centaman":      "usher sim centaman [flags]",
}

// helpTexts are paragraphs shown between a command's synopsis and its
// flags, keyed like synopses.
var helpTexts = map[string]string{
	"quarantine list":   quarantineListHelp,
	"quarantine replay": quarantineReplayHelp,
	"report":            reportHelp,
	"prune":             pruneHelp,
}

// setUsage makes fs print its synopsis, its help text and every flag.
func setUsage(fs *flag.FlagSet) {
	fs.Usage = func() {
		w := fs.Output()
		synopsis, ok := synopses[fs.Name()]
		if !ok {
			synopsis = "usher " + fs.Name() + " [flags]"
		}
		fmt.Fprintln(w, "usage:", synopsis)
		if text := helpTexts[fs.Name()]; text != "" {
			fmt.Fprintln(w)
			fmt.Fprintln(w, strings.TrimRight(text, "\n"))
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, "flags (-name or --name; flags may follow arguments):")
		fs.PrintDefaults()
	}
}

// parseFlags parses args into fs, accepting flags before, between and
// after positional arguments (`contacts forget 3346663 --institution x`),
// as every subcommand does. Everything after "--" is positional. The
// positional arguments are then fs.Args(). -h prints the usage to stdout
// and returns errHelp; a bad flag prints it to stderr and returns a
// usageError.
func parseFlags(fs *flag.FlagSet, e env, args []string) error {
	setUsage(fs)
	fs.SetOutput(io.Discard)
	positional, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(e.stdout)
		fs.Usage()
		return errHelp
	}
	if err != nil {
		fs.SetOutput(e.stderr)
		fs.Usage()
		return usageError{fmt.Errorf("%s: %w (usher %s -h lists the flags)", fs.Name(), err, fs.Name())}
	}
	// Parsing "--" alone leaves the flags as they are and makes fs.Args()
	// the positional arguments, so callers use fs.Arg and fs.NArg.
	return fs.Parse(append([]string{"--"}, positional...))
}

func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// isHelp reports whether arg asks for help, for commands that dispatch on
// a subcommand before parsing flags.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}

// groupUsage answers a command made of subcommands (contacts forget|
// erasures) when no known subcommand was named: -h prints every
// subcommand's usage and flags to stdout; nothing or an unknown name
// prints them to stderr and is a usage error. run is the command itself,
// asked for each subcommand's -h.
func groupUsage(ctx context.Context, e env, name string, args, subs []string, run func(context.Context, env, []string) error) error {
	w, err := e.stderr, error(usagef("%s: name a subcommand: %s", name, strings.Join(subs, ", ")))
	switch {
	case len(args) > 0 && isHelp(args[0]):
		w, err = e.stdout, errHelp
	case len(args) > 0:
		err = usagef("%s: unknown subcommand %q (%s)", name, args[0], strings.Join(subs, ", "))
	}
	if text := helpTexts[name]; text != "" {
		fmt.Fprintln(w, strings.TrimRight(text, "\n"))
		fmt.Fprintln(w)
	}
	for i, sub := range subs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		_ = run(ctx, env{getenv: e.getenv, stdout: w, stderr: w}, []string{sub, "-h"})
	}
	return err
}
