package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/usher-hub/usher/internal/mail/mailtest"
	"github.com/usher-hub/usher/internal/mail/smtptest"
	simcentaman "github.com/usher-hub/usher/internal/sim/centaman"
	"github.com/usher-hub/usher/internal/sim/crmsink"
	"github.com/usher-hub/usher/internal/web"
)

// demoSecrets are the demo's credentials, fresh and random at every start
// (32 hex characters each), shared by usher's configuration and the
// stand-ins that check them.
type demoSecrets struct {
	push, apiKey, s360API, crmSigning, crmToken, centaman, smtp, metrics string
}

func newDemoSecrets() demoSecrets {
	return demoSecrets{push: randomSecret(), apiKey: randomSecret(), s360API: randomSecret(), crmSigning: randomSecret(),
		crmToken: randomSecret(), centaman: randomSecret(), smtp: randomSecret(), metrics: randomSecret()}
}

// getenv answers the S-360 simulators' secret variables, pushEnv (the
// push key) and S360_API_SECRET, with the demo's secrets, and any other
// from the environment.
func (s demoSecrets) getenv(pushEnv string, getenv func(string) string) func(string) string {
	return func(k string) string {
		switch k {
		case pushEnv:
			return s.push
		case s360APISecretEnv:
			return s.s360API
		}
		return getenv(k)
	}
}

// demoUpstreams are the stand-ins the demo runs beside usher, each on its
// own loopback port: Centaman, the CRM and the SMTP relay. S-360, its
// pushes and its API, is startS360Sims's.
type demoUpstreams struct {
	centamanURL string
	crm         *crmsink.Sink
	crmURL      string
	smtp        *smtptest.Server
	stops       []func()
}

// Stop stops every stand-in, newest first.
func (u *demoUpstreams) Stop() {
	for i := len(u.stops) - 1; i >= 0; i-- {
		u.stops[i]()
	}
}

// startDemoUpstreams starts the stand-ins; the CRM receiver listens on
// crmListen, the others on free loopback ports.
func startDemoUpstreams(s demoSecrets, crmListen string, logger *slog.Logger) (*demoUpstreams, error) {
	u := &demoUpstreams{}
	fail := func(err error) (*demoUpstreams, error) { u.Stop(); return nil, err }
	centaman := simcentaman.New(simcentaman.Options{Username: demoCentamanUser, Password: s.centaman, Seed: 1, Days: 30})
	base, stop, err := serveLoopback("127.0.0.1:0", centaman.Server(), logger)
	if err != nil {
		return fail(err)
	}
	u.centamanURL, u.stops = base+simcentaman.BasePath, append(u.stops, stop)
	if u.crm, err = crmsink.New(crmsink.Options{SigningSecret: s.crmSigning, Token: s.crmToken}); err != nil {
		return fail(err)
	}
	if u.crmURL, stop, err = serveLoopback(crmListen, u.crm, logger); err != nil {
		return fail(fmt.Errorf("demo: --crm-listen: %w", err))
	}
	u.stops = append(u.stops, stop)
	if u.smtp, err = smtptest.Start(smtptest.Options{Username: demoSMTPUser, Password: s.smtp}); err != nil {
		return fail(fmt.Errorf("demo: mail catcher: %w", err))
	}
	u.stops = append(u.stops, func() { _ = u.smtp.Close() })
	return u, nil
}

// The stand-ins' user names; their passwords are demoSecrets.
const (
	demoCentamanUser = "usher"
	demoSMTPUser     = "usher-demo"
	demoS360Operator = "DEMO_CRM"
)

// demoPointOfSales is the S-360 point of sales the CRM's bookings are
// made at (createOrUpdateOrder requires one; s360_api.point_of_sales_id).
const demoPointOfSales = 10228100001

// serveLoopback serves h on addr and returns its base URL and a stop.
func serveLoopback(addr string, h http.Handler, logger *slog.Logger) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("demo stand-in stopped", "addr", addr, "err", err)
		}
	}()
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// caughtMail shows the mail catcher's messages on the dashboard's e-mails
// page, each read back as a visitor's mail client (and the gate's scanner)
// would read it.
type caughtMail struct{ srv *smtptest.Server }

func (c caughtMail) Sent() []web.SentMail {
	msgs := c.srv.Messages()
	out := make([]web.SentMail, 0, len(msgs))
	for _, m := range msgs {
		e, err := mailtest.Parse(m.Data)
		if err != nil {
			out = append(out, web.SentMail{To: strings.Join(m.To, ", "), Subject: "(unreadable: " + err.Error() + ")"})
			continue
		}
		out = append(out, web.SentMail{To: e.To, Subject: e.Subject, Text: e.Text, Barcodes: e.Barcodes})
	}
	return out
}
