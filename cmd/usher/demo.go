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

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/config"
	"github.com/usher-hub/usher/internal/sim/crmsink"
	"github.com/usher-hub/usher/internal/sim/s360"
)

// demoInstitution is the institution code the demo's venue pushes as.
const demoInstitution = "demo"

// demoVenueName is the venue's name on the storefront and e-tickets.
const demoVenueName = "Demo Museum"

// runDemo runs the whole product on one machine: usher on SQLite with a
// simulated S-360 venue pushing a week of history then its live activity,
// S-360's API receiving the CRM's writes, a Centaman with the website
// layer and the storefront, a CRM receiving usher's deliveries, and a
// mail catcher whose e-tickets show on the dashboard.
func runDemo(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "usher's listen address: dashboard, storefront, API")
	crmListen := fs.String("crm-listen", "127.0.0.1:8081", "the stand-in CRM's listen address (loopback)")
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
	if host, _, err := net.SplitHostPort(*crmListen); err != nil || !loopback(host) {
		return fmt.Errorf("demo: --crm-listen %s: the stand-in CRM listens on loopback only (127.0.0.1:PORT)", *crmListen)
	}
	secrets := newDemoSecrets()
	cfg := config.Default()
	cfg.Listen, cfg.Database, cfg.LogLevel = *listen, *database, "warn"
	// One indexed path, as a venue would configure it: the documents
	// browser's filter on an order's state reads its index.
	cfg.Documents.IndexedPaths = []config.IndexedPath{{Stream: "orders", Path: "$.orderDetailsData.orderState"}}
	logger := newLogger(e.stderr, cfg)
	// usher listens first: S-360 pushes to its address.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("demo: listen on %s: %w (choose another address with --listen)", cfg.Listen, err)
	}
	defer ln.Close()
	base := "http://" + ln.Addr().String()
	up, err := startDemoUpstreams(secrets, *crmListen, logger)
	if err != nil {
		return err
	}
	defer up.Stop()
	// One S-360: the venue pushing to usher and its API taking the CRM's
	// writes share the venue, so what the CRM writes comes back in the
	// next push. Nothing is pushed before the simulator runs, below.
	o.target, o.apiListen = base, "127.0.0.1:0"
	o.from = time.Now().AddDate(0, 0, -*days).Format("2006-01-02")
	venue, err := startS360Sims(ctx, &o, secrets.getenv(o.secretEnv, e.getenv), logger)
	if err != nil {
		return fmt.Errorf("demo: S-360: %w", err)
	}
	defer venue.stop()
	if cfg, err = demoConfig(cfg, secrets, up, venue.apiURL); err != nil {
		return err
	}
	a, err := newApp(ctx, cfg, logger, withMailbox(caughtMail{up.smtp}))
	if err != nil {
		return err
	}
	defer a.Close()
	// One context for all: Ctrl-C stops them, and so does a server that
	// fails, so the simulator never pushes into nothing.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() {
		served <- serveUntilDone(runCtx, ln, a.handler)
		stop()
	}()
	sim := venue.sim
	printDemoBanner(e.stdout, demoBanner{base: base, crm: up.crmURL, s360API: venue.apiURL, database: cfg.Database, apiKey: secrets.apiKey,
		metricsToken: secrets.metrics, days: *days, sim: sim.Config()})
	if err := sim.Run(runCtx, false, func(r s360.RunReport) { fmt.Fprintln(e.stdout, r) }); err != nil {
		return err
	}
	stop()
	return <-served
}

// demoConfig completes cfg with the demo's one institution: pushes with
// an API key, the website layer over the Centaman stand-in with the
// storefront, deliveries to the stand-in CRM (contacts, orders and the
// website's bookings), CRM writes (contacts and bookings) to the S-360
// API stand-in at s360APIURL, e-tickets to the mail catcher, and one API
// key for everything. Defaults are config's, as for a file.
func demoConfig(cfg config.Config, s demoSecrets, up *demoUpstreams, s360APIURL string) (config.Config, error) {
	if !strings.HasPrefix(cfg.Database, "sqlite:") {
		return cfg, fmt.Errorf("demo: --database must be sqlite:PATH (the demo runs on the embedded engine)")
	}
	cfg.Institutions = []config.Institution{{
		Code: demoInstitution,
		Auth: config.Auth{Mode: string(usher.AuthAPIKey), Header: "X-Api-Key", Secret: s.push},
		Centaman: &config.Centaman{URL: up.centamanURL, Username: demoCentamanUser, Password: s.centaman,
			VenueName: demoVenueName},
		CRMDestinations: []config.CRMDestination{{
			Name: "democrm", URL: up.crmURL + crmsink.DeliveryPath,
			Streams:       []string{string(usher.StreamContacts), string(usher.StreamOrders), string(usher.StreamCentamanBooking)},
			SigningSecret: s.crmSigning, Auth: config.Auth{Mode: "bearer", Secret: s.crmToken},
		}},
		S360API: &config.S360API{BaseURL: s360APIURL, Operator: demoS360Operator, Partner: "usher", Secret: s.s360API,
			PointOfSalesID: demoPointOfSales},
	}}
	cfg.APIKeys = []config.APIKey{{Name: "demo", Secret: s.apiKey, Institutions: []string{"*"}}}
	cfg.Site.Storefront = true
	// /metrics names the institution and its volumes: the demo shows how
	// a venue protects it (docs/security.md).
	cfg.Metrics.Token = s.metrics
	cfg.Mail = config.Mail{SMTPAddr: up.smtp.Addr(), From: demoVenueName + " <tickets@demo.invalid>", Username: demoSMTPUser, Password: s.smtp}
	// Quick retries: a demo's CRM hiccup should heal while someone watches.
	cfg.Outbox.RetryBase, cfg.Outbox.RetryMax = time.Second, time.Minute
	cfg = cfg.WithDefaults()
	return cfg, cfg.Validate()
}

// randomSecret returns 32 hex characters (128 random bits).
func randomSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// demoBanner is what the demo prints at start.
type demoBanner struct {
	base, crm, s360API, database, apiKey, metricsToken string
	days                                               int
	sim                                                s360.PushConfig
}

// printDemoBanner prints one URL per face and the key that signs in; the
// lines "  <Face>  <URL>" and "API key: <key>" are what a script (and the
// demo's browser test) reads.
func printDemoBanner(w io.Writer, b demoBanner) {
	fmt.Fprintf(w, `usher demo is running at %[1]s

  Dashboard     %[1]s/dashboard/
  Storefront    %[1]s/storefront/%[2]s/
  E-mails       %[1]s/dashboard/mail
  CRM receiver  %[3]s/

  API key: %[4]s
  (sign in to the dashboard and the e-mails page with it; the API takes it
  as "Authorization: Bearer %[4]s")

What runs here, all on loopback:
  - a simulated S-360 venue (institution %[5]q) pushes %[6]d days of history
    now, then its live activity every %[7]s: contacts, orders, gate checks;
  - a Centaman with usher's website layer over it: buy tickets in the
    storefront, and the e-ticket, with its barcodes, lands on the e-mails page;
  - a CRM receiving usher's signed deliveries (contacts, orders and the
    storefront's bookings), listed on its page as it checks each signature;
  - S-360's API (%[10]s), one S-360 with the venue above: the CRM's
    writes reach it through usher's outbox, e.g.
      curl -H 'Authorization: Bearer %[4]s' -H 'Content-Type: application/json' \
        -d '{"contact":{"email":"new@example.org","individualContact":{"firstName":"Ann","lastName":"Lee"}},"reference":"crm-1"}' \
        %[1]s/api/v1/crm/%[2]s/contacts
    S-360 creates the contact and its next contact push brings it back;
    usher knows it for the echo of the CRM's own write and does not send
    it back to the CRM (GET /api/v1/outbox counts it under "echoes":
    "suppressed"). A booking for that contact (POST
    /api/v1/crm/%[2]s/bookings with the contactNumber its status_url shows)
    comes back in the next order push and reaches the CRM as an order.
    The venue's own contacts are S-360's too: the CRM can change (with
    their contactNumber) and book for any contact the venue pushed it;
  - %[1]s/metrics for Prometheus, behind its own token:
      curl -H 'Authorization: Bearer %[9]s' %[1]s/metrics
    and the data itself in %[8]s.

The venue's clock runs at the wall clock's pace; --speed 60 makes an hour
pass in a minute. Stop with Ctrl-C; the data stays in the database.
Each line below is one push run (documents accepted/queued per stream).

`, b.base, demoInstitution, b.crm, b.apiKey, b.sim.Institution, b.days, b.sim.Interval, strings.TrimPrefix(b.database, "sqlite:"), b.metricsToken, b.s360API)
}
