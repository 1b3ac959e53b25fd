package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"strings"
	"time"

	simcentaman "github.com/usher-hub/usher/internal/sim/centaman"
)

// runSimCentaman runs `usher sim centaman`: a Centaman stand-in on a
// loopback address, for demos and trying the website layer.
func runSimCentaman(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("sim centaman", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	listen := fs.String("listen", "127.0.0.1:8090", "listen address (loopback)")
	user := fs.String("username", "usher", "Basic auth user usher must send")
	passEnv := fs.String("password-env", "CENTAMAN_PASSWORD", "environment variable holding the Basic auth password")
	latency := fs.Duration("latency", 40*time.Millisecond, "added to every answer, as a hosted Centaman would")
	seed := fs.Int64("seed", 1, "seed of the generated venue")
	days := fs.Int("days", 30, "days of sessions to generate from today")
	holdTTL := fs.Duration("hold-ttl", simcentaman.DefaultHoldTTL, "how long a hold lasts")
	undocumented := fs.Bool("undocumented-lookups", false,
		"also serve GET ticket_services/TimedTicketTransaction?PaymentReference=, which Centaman does not document (off: 404, as documented)")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	password := e.getenv(*passEnv)
	if password == "" {
		return fmt.Errorf("set the password in $%s (usher's institutions[].centaman.password_env names the same variable)", *passEnv)
	}
	if host, _, err := net.SplitHostPort(*listen); err != nil || !loopback(host) {
		return fmt.Errorf("--listen %s: the simulator listens on loopback only (127.0.0.1:PORT)", *listen)
	}
	sim := simcentaman.New(simcentaman.Options{Username: *user, Password: password, Latency: *latency,
		Seed: *seed, Days: *days, HoldTTL: *holdTTL, UndocumentedLookups: *undocumented})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(e.stdout, "Centaman simulator at %s%s (user %s, %d days of sessions, latency %s)\n",
		base, simcentaman.BasePath, *user, *days, *latency)
	fmt.Fprintf(e.stdout, "outages: curl -X POST '%s%soutage?mode=drop|error|none'\n", base, simcentaman.ControlPath)
	fmt.Fprintf(e.stdout, "lost answers: curl -X POST '%s%sdrop?op=TimedTicketTransaction+POST&n=1'\n", base, simcentaman.ControlPath)
	return serveUntilDone(ctx, ln, sim.Server())
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
