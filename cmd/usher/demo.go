package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/usher-hub/usher/internal/config"
	"github.com/usher-hub/usher/internal/sim/s360"
)

// demoInstitution is the institution code the demo's venue pushes as.
const demoInstitution = "demo"

// runDemo starts usher on SQLite with a demo institution and the S-360
// simulator pushing a week of a museum's history to it, then its live
// activity, so a new user sees data arrive within seconds.
func runDemo(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "listen address")
	database := fs.String("database", "sqlite:usher-demo.db", "database; the demo's data stays there after it stops")
	o := s360Defaults()
	o.institution, o.auth, o.interval = demoInstitution, "apikey", 10*time.Second
	days := fs.Int("days", 7, "days of history pushed at the start")
	fs.Uint64Var(&o.seed, "seed", o.seed, "venue seed")
	fs.Float64Var(&o.scale, "scale", o.scale, "venue size (1: about 115 orders a day)")
	fs.Float64Var(&o.speed, "speed", o.speed, "venue clock speed after the history (60: an hour a minute)")
	fs.DurationVar(&o.interval, "interval", o.interval, "time between two pushes (S-360 uses 15m)")
	fs.StringVar(&o.faults, "faults", "", "faults to inject, such as 5xx=0.1,dup=0.1 (see usher sim s360 -h)")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	cfg, pushKey, apiKey, err := demoConfig(*listen, *database)
	if err != nil {
		return err
	}
	o.from = time.Now().AddDate(0, 0, -*days).Format("2006-01-02")
	logger := newLogger(e.stderr, cfg)
	a, err := newApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("demo: listen on %s: %w (choose another address with --listen)", cfg.Listen, err)
	}
	// One context for both: Ctrl-C stops them, and so does a server that
	// fails, so the simulator never pushes into nothing.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() {
		served <- serveUntilDone(runCtx, ln, a.handler)
		stop()
	}()

	base := "http://" + ln.Addr().String()
	o.target = base
	getenv := func(k string) string {
		if k == o.secretEnv {
			return pushKey
		}
		return e.getenv(k)
	}
	sim, stopSim, err := o.start(runCtx, getenv, logger)
	if err != nil {
		return err
	}
	defer stopSim()
	printDemoBanner(e.stdout, base, cfg.Database, apiKey, sim, *days)
	if err := sim.Run(runCtx, false, func(r s360.RunReport) { fmt.Fprintln(e.stdout, r) }); err != nil {
		return err
	}
	stop()
	return <-served
}

// demoConfig is a configuration with one institution pushing with an API
// key and one API key for every institution, both fresh random secrets.
func demoConfig(listen, database string) (config.Config, string, string, error) {
	cfg := config.Default()
	cfg.Listen, cfg.Database, cfg.LogLevel = listen, database, "warn"
	if !strings.HasPrefix(database, "sqlite:") {
		return cfg, "", "", fmt.Errorf("demo: --database must be sqlite:PATH (the demo runs on the embedded engine)")
	}
	pushKey, apiKey := randomSecret(), randomSecret()
	cfg.Institutions = []config.Institution{{Code: demoInstitution, Auth: config.Auth{Mode: "apikey", Header: "X-Api-Key", Secret: pushKey}}}
	cfg.APIKeys = []config.APIKey{{Name: "demo", Secret: apiKey, Institutions: []string{"*"}}}
	return cfg, pushKey, apiKey, cfg.Validate()
}

func randomSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

func printDemoBanner(w io.Writer, base, database, apiKey string, sim *s360.Simulator, days int) {
	cfg := sim.Config()
	fmt.Fprintf(w, `usher demo is running at %s

  A simulated S-360 venue (institution %q) pushes %d days of history now,
  then its live activity every %s: contacts, orders and gate checks.

  Look at:
    %s/              the dashboard: sign in with the API key %s
    %s/metrics       usher_documents_total{stream,outcome}: documents arriving
    %s/readyz        the database answers
    %s/api/v1/…      usher's API; send "Authorization: Bearer %s"
    %s  the data itself (sqlite3 %s)

  The venue's clock runs at the wall clock's pace; --speed 60 makes an hour
  pass in a minute. Stop with Ctrl-C; the data stays in the database.
  Each line below is one push run (documents accepted/queued per stream).

`, base, cfg.Institution, days, cfg.Interval, base, apiKey, base, base, base, apiKey, database, strings.TrimPrefix(database, "sqlite:"))
}
