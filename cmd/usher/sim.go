package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/sim/s360"
)

// runSim dispatches `usher sim <upstream>`.
func runSim(ctx context.Context, e env, args []string) error {
	if len(args) > 0 && args[0] == "centaman" {
		return runSimCentaman(ctx, e, args[1:])
	}
	if len(args) == 0 || args[0] != "s360" {
		return groupUsage(ctx, e, "sim", args, []string{"s360", "centaman"}, runSim)
	}
	fs := flag.NewFlagSet("sim s360", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var o simOptions
	o.register(fs, s360Defaults())
	if err := parseFlags(fs, e, args[1:]); err != nil {
		return err
	}
	if o.target == "" {
		return errors.New("sim s360: --target is required (usher's base URL, such as http://127.0.0.1:8080)")
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: o.logLevel()}))
	s, err := startS360Sims(ctx, &o, e.getenv, logger)
	if err != nil {
		return err
	}
	defer s.stop()
	sim := s.sim
	o.describe(e.stdout, sim)
	err = sim.Run(ctx, o.exitWhenDrained, func(r s360.RunReport) { fmt.Fprintln(e.stdout, r) })
	if err != nil {
		return err
	}
	return givenUp(sim)
}

// givenUp reports documents the simulator abandoned after the last try.
func givenUp(sim *s360.Simulator) error {
	n := 0
	for _, st := range sim.Stats() {
		n += st.GivenUp
	}
	if n > 0 {
		return fmt.Errorf("sim s360: %d documents were given up after %d tries (see the log)", n, sim.Config().MaxTries)
	}
	return nil
}

// simOptions are the flags of the S-360 simulator, shared by `usher sim
// s360` and `usher demo`.
type simOptions struct {
	institution, target, auth, username, secretEnv, header string
	seed                                                   uint64
	scale, speed                                           float64
	from, until, cutoff                                    string
	interval, timeout                                      time.Duration
	contactsPerRun, ordersPerRun, checksPerRun             int
	bucket, maxTries                                       int
	faults, apiListen, level                               string
	exitWhenDrained                                        bool
	// s360Defaults replaces the seeds' push values by S-360's own.
	s360Defaults bool
}

// s360Defaults are the simulator's defaults: the push values the seeds
// configure (--s360-defaults switches to S-360's own).
func s360Defaults() simOptions {
	b := s360.DefaultBatchSizes()
	return simOptions{
		institution: "myvenue", auth: "none", secretEnv: "USHER_SIM_SECRET", header: "X-Api-Key",
		seed: 1, scale: 1, speed: 1, interval: s360.DefaultInterval, timeout: s360.DefaultTimeout,
		contactsPerRun: b[usher.StreamContacts], ordersPerRun: b[usher.StreamOrders], checksPerRun: b[usher.StreamTicketChecks],
		bucket: s360.DefaultBucketSize, maxTries: s360.DefaultMaxTries, level: "info",
	}
}

func (o *simOptions) register(fs *flag.FlagSet, d simOptions) {
	fs.StringVar(&o.institution, "institution", d.institution, "S-360 institution code, the last segment of the push URLs")
	fs.StringVar(&o.target, "target", d.target, "receiver base URL (…/s360/{stream}/{institution} is appended), or a URL template with {stream} and {institution}")
	fs.StringVar(&o.auth, "auth", d.auth, "push authentication: none, basic or apikey")
	fs.StringVar(&o.username, "username", d.username, "basic-auth user name")
	fs.StringVar(&o.secretEnv, "secret-env", d.secretEnv, "environment variable holding the basic-auth password or the API key (never a flag: flags show in process lists)")
	fs.StringVar(&o.header, "header", d.header, "API-key header name")
	fs.Uint64Var(&o.seed, "seed", d.seed, "seed: the same seed and dates generate the same documents")
	fs.Float64Var(&o.scale, "scale", d.scale, "venue size; 1 is about 70 new contacts, 115 orders and 250 visitors an open day")
	fs.StringVar(&o.from, "from", d.from, "first day of the venue's history, YYYY-MM-DD (default: 7 days ago)")
	fs.StringVar(&o.until, "until", d.until, "stop generating at this date or RFC 3339 time (default: never; the venue lives on)")
	fs.StringVar(&o.cutoff, "cutoff", d.cutoff, "first-time synchronisation date: nothing older is pushed (default: --from)")
	fs.Float64Var(&o.speed, "speed", d.speed, "venue clock speed: 60 makes a venue hour pass in a minute (dates then run ahead of the wall clock)")
	fs.DurationVar(&o.interval, "interval", d.interval, "M: time between two runs of the queues")
	fs.IntVar(&o.contactsPerRun, "contacts-per-run", d.contactsPerRun, "S for contacts: the most contacts one run pushes")
	fs.IntVar(&o.ordersPerRun, "orders-per-run", d.ordersPerRun, "S for orders")
	fs.IntVar(&o.checksPerRun, "checks-per-run", d.checksPerRun, "S for ticket checks")
	fs.IntVar(&o.bucket, "bucket", d.bucket, "bs: the most documents in one POST")
	fs.IntVar(&o.maxTries, "max-tries", d.maxTries, "tries of one payload before it is given up and logged")
	fs.DurationVar(&o.timeout, "timeout", d.timeout, "how long to wait for an answer; no answer is a failure")
	fs.StringVar(&o.faults, "faults", d.faults, "faults to inject, such as 5xx=0.1,drop=0.05,slow=0.05,slowdelay=35s,dup=0.1,reorder=0.5")
	fs.BoolVar(&o.exitWhenDrained, "exit-when-drained", d.exitWhenDrained, "with --until: exit once everything was delivered or given up (status 1 if anything was given up)")
	fs.BoolVar(&o.s360Defaults, "s360-defaults", d.s360Defaults, "push with S-360's own defaults (contacts and orders 1 a payload, 100 a run; checks 10 a payload, 500 a run) instead of the seeds' (50 a payload; 500/500/2000 a run); overrides the per-run and bucket flags")
	fs.StringVar(&o.apiListen, "api-listen", d.apiListen, "also serve S-360's Contact and order API on this address (operator secret in $S360_API_SECRET)")
	fs.StringVar(&o.level, "log-level", d.level, "debug, info, warn or error")
}

func (o *simOptions) logLevel() slog.Level {
	var l slog.Level
	_ = l.UnmarshalText([]byte(o.level))
	return l
}

// build turns the flags into the push configuration and the venue's
// timeline: history from --from, then a venue clock running at --speed
// from now, stopping at --until.
func (o *simOptions) build(getenv func(string) string) (s360.PushConfig, *s360.Venue, s360.Timeline, error) {
	var cfg s360.PushConfig
	now := time.Now()
	from, err := parseSimDate("from", o.from, now.AddDate(0, 0, -7))
	if err != nil {
		return cfg, nil, s360.Timeline{}, err
	}
	until, err := parseSimDate("until", o.until, time.Time{})
	if err != nil {
		return cfg, nil, s360.Timeline{}, err
	}
	cutoff, err := parseSimDate("cutoff", o.cutoff, from)
	if err != nil {
		return cfg, nil, s360.Timeline{}, err
	}
	if o.exitWhenDrained && until.IsZero() {
		return cfg, nil, s360.Timeline{}, errors.New("sim s360: --exit-when-drained needs --until: a live venue never drains")
	}
	if o.speed <= 0 {
		return cfg, nil, s360.Timeline{}, errors.New("sim s360: --speed must be positive")
	}
	faults, err := s360.ParseFaults(o.faults)
	if err != nil {
		return cfg, nil, s360.Timeline{}, fmt.Errorf("sim s360: --faults: %w", err)
	}
	auth, err := o.pushAuth(getenv)
	if err != nil {
		return cfg, nil, s360.Timeline{}, err
	}
	cfg = s360.PushConfig{
		Institution: o.institution, Target: o.target, Auth: auth, Interval: o.interval,
		BatchSizes: map[usher.Stream]int{usher.StreamContacts: o.contactsPerRun, usher.StreamOrders: o.ordersPerRun, usher.StreamTicketChecks: o.checksPerRun},
		BucketSize: o.bucket, MaxTries: o.maxTries, Timeout: o.timeout, Cutoff: cutoff, Faults: faults, Seed: o.seed,
	}
	if o.s360Defaults {
		cfg.BatchSizes, cfg.BucketSizes = s360.S360BatchSizes(), s360.S360BucketSizes()
	}
	venue := s360.NewVenue(s360.VenueConfig{Seed: o.seed, Start: from, Scale: o.scale})
	speed := o.speed
	clock := func() time.Time { return now.Add(time.Duration(float64(time.Since(now)) * speed)) }
	return cfg, venue, s360.Timeline{Venue: venue, Clock: clock, Until: until}, nil
}

func (o *simOptions) pushAuth(getenv func(string) string) (usher.PushAuth, error) {
	a := usher.PushAuth{Mode: usher.AuthMode(o.auth), Username: o.username, Header: o.header}
	switch a.Mode {
	case usher.AuthNone:
		return a, nil
	case usher.AuthBasic, usher.AuthAPIKey:
		a.Secret = getenv(o.secretEnv)
		if a.Secret == "" {
			return a, fmt.Errorf("sim s360: --auth %s needs the secret in the environment variable %s (--secret-env)", o.auth, o.secretEnv)
		}
		if a.Mode == usher.AuthBasic && a.Username == "" {
			return a, errors.New("sim s360: --auth basic needs --username")
		}
		return a, nil
	default:
		return a, fmt.Errorf("sim s360: --auth must be none, basic or apikey, got %q", o.auth)
	}
}

// parseSimDate reads a YYYY-MM-DD date (midnight at the venue, UTC+1) or
// an RFC 3339 time; empty gives def.
func parseSimDate(name, s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, time.FixedZone("UTC+1", 3600))
	if err != nil {
		return t, fmt.Errorf("sim s360: --%s %q: want YYYY-MM-DD or an RFC 3339 time", name, s)
	}
	return t, nil
}

// startFaultProxy serves a FaultProxy to cfg.Target's host on a loopback
// port and returns its URL.
func startFaultProxy(cfg s360.PushConfig, logger *slog.Logger) (string, func(), error) {
	u, err := url.Parse(strings.NewReplacer("{stream}", "x", "{institution}", "x").Replace(cfg.Target))
	if err != nil || u.Host == "" {
		return "", nil, fmt.Errorf("sim s360: --target %q is not an absolute URL", cfg.Target)
	}
	proxy, err := s360.NewFaultProxy(u.Scheme+"://"+u.Host, cfg.Faults, cfg.Seed, logger)
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("sim s360: fault proxy: %w", err)
	}
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// throughProxy points target's scheme and host at the proxy, keeping
// its path.
func throughProxy(target, proxyURL string) string {
	_, rest, _ := strings.Cut(target, "://")
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return proxyURL + rest[i:]
	}
	return proxyURL
}

func (o *simOptions) describe(w io.Writer, sim *s360.Simulator) {
	cfg := sim.Config()
	bs := fmt.Sprint(cfg.BucketSize)
	if len(cfg.BucketSizes) > 0 {
		bs = fmt.Sprintf("%d/%d/%d", cfg.BucketSizes[usher.StreamContacts], cfg.BucketSizes[usher.StreamOrders], cfg.BucketSizes[usher.StreamTicketChecks])
	}
	fmt.Fprintf(w, "S-360 simulator: institution %s, seed %d, pushing to %s every %s (S=%d/%d/%d, bs=%s, %d tries, auth %s, faults %s)\n",
		cfg.Institution, o.seed, cfg.StreamURL("{stream}"), cfg.Interval,
		cfg.BatchSizes[usher.StreamContacts], cfg.BatchSizes[usher.StreamOrders], cfg.BatchSizes[usher.StreamTicketChecks],
		bs, cfg.MaxTries, cfg.Auth.Mode, cfg.Faults)
}
