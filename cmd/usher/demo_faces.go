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
	"github.com/usher-hub/usher/internal/sim/s360api"
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

// demoUpstreams are the stand-ins the demo runs beside usher, each on its
// own loopback port: Centaman, S-360's API, the CRM and the SMTP relay.
type demoUpstreams struct {
	centamanURL string
	s360API     *s360api.Sim
	s360APIURL  string
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
// crmListen, the others on free loopback ports. usherURL is where S-360's
// contact webhook pushes.
func startDemoUpstreams(s demoSecrets, crmListen, usherURL string, logger *slog.Logger) (*demoUpstreams, error) {
	u := &demoUpstreams{}
	fail := func(err error) (*demoUpstreams, error) { u.Stop(); return nil, err }
	centaman := simcentaman.New(simcentaman.Options{Username: demoCentamanUser, Password: s.centaman, Seed: 1, Days: 30})
	base, stop, err := serveLoopback("127.0.0.1:0", centaman.Server(), logger)
	if err != nil {
		return fail(err)
	}
	u.centamanURL, u.stops = base+simcentaman.BasePath, append(u.stops, stop)
	if u.s360API, u.s360APIURL, stop, err = startDemoS360API(s, usherURL, logger); err != nil {
		return fail(err)
	}
	u.stops = append(u.stops, stop)
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

// startDemoS360API serves S-360's Contact and order API for the demo's
// institution, so CRM writes flow to it; its contact webhook is pushed to
// usher by pushS360Contacts. It is one small function so that a shared
// venue (the pushing simulator and the API as one S-360) can replace it.
func startDemoS360API(s demoSecrets, usherURL string, logger *slog.Logger) (*s360api.Sim, string, func(), error) {
	sim := s360api.New(s360api.Config{Institutions: []s360api.Institution{{Code: strings.ToUpper(demoInstitution), Secret: s.s360API,
		PushURL: usherURL + "/s360/contacts/" + demoInstitution, PushHeader: "X-Api-Key", PushKey: s.push}}})
	base, stop, err := serveLoopback("127.0.0.1:0", sim, logger)
	return sim, base, stop, err
}

// pushS360Contacts runs the S-360 API's contact webhook every interval:
// contacts the CRM wrote come back to usher as S-360 would push them.
func pushS360Contacts(ctx context.Context, sim *s360api.Sim, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := sim.PushChanged(ctx, http.DefaultClient, strings.ToUpper(demoInstitution)); err != nil && ctx.Err() == nil {
			logger.Warn("demo: S-360 contact webhook failed; it retries at the next run", "err", err)
		}
	}
}

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
