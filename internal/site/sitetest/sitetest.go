// Package sitetest assembles a real website layer for tests: a Centaman
// simulator on loopback, a real store on the chosen engine, a real SMTP
// server, the site service and its API behind an API key on an httptest
// server, all on one manual clock.
package sitetest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/httpapi"
	"github.com/usher-hub/usher/internal/mail"
	"github.com/usher-hub/usher/internal/mail/smtptest"
	simcentaman "github.com/usher-hub/usher/internal/sim/centaman"
	"github.com/usher-hub/usher/internal/site"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/testdb"
	"github.com/usher-hub/usher/internal/upstream/centaman"
)

// Start is the clock's first instant: 08:00 UTC on the first day.
var Start = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)

// Institution is the code the environment serves.
const Institution = "museum"

// APIKey is the key the environment's API accepts.
const APIKey = "site-test-key"

// The Basic credentials of the environment's Centaman simulator.
const (
	centamanUser     = "usher"
	centamanPassword = "centaman-pw"
)

// Options tune an environment.
type Options struct {
	// Engine is "sqlite" or "postgres".
	Engine string
	// ClientTimeout bounds each call to Centaman; 5s when zero.
	ClientTimeout time.Duration
	// Validator checks the copy; the built-in schemas (Schemas) when nil.
	Validator usher.Validator
	// Latency is the simulator's per-call latency.
	Latency time.Duration
	// Logger receives the service's logs; discarded when nil.
	Logger *slog.Logger
	// NoMail runs without e-mail, as a venue without SMTP does.
	NoMail bool
}

// Env is a running website layer.
type Env struct {
	t       testing.TB
	Clock   *simcentaman.Clock
	Sim     *simcentaman.Sim
	SimURL  string
	Store   usher.Store
	Service *site.Service
	Handler *site.Handler
	SMTP    *smtptest.Server
	// URL is the usher test server's root.
	URL    string
	Client *http.Client
}

// New starts an environment; everything stops when the test ends.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	e := &Env{t: t, Clock: simcentaman.NewClock(Start), Client: &http.Client{Timeout: 30 * time.Second}}
	e.Sim = simcentaman.New(simcentaman.Options{Username: centamanUser, Password: centamanPassword, Now: e.Clock.Now,
		Seed: 42, FirstDay: Start, Days: 14, Latency: opts.Latency})
	simSrv := httptest.NewServer(e.Sim.Handler())
	t.Cleanup(simSrv.Close)
	e.SimURL = simSrv.URL
	st, err := store.Open(context.Background(), testdb.DSN(t, opts.Engine), e.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.Store = st
	e.SMTP, err = smtptest.Start(smtptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.SMTP.Close() })
	e.Service, e.Handler = e.build(opts)
	mux := http.NewServeMux()
	e.Handler.Mount(httpapi.NewAPIKeys([]usher.APIKey{{Name: "site", Secret: APIKey, Institutions: []string{Institution}}}))(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}

func (e *Env) build(opts Options) (*site.Service, *site.Handler) {
	timeout := opts.ClientTimeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	client, err := centaman.New(centaman.Config{BaseURL: e.SimURL + simcentaman.BasePath, Username: centamanUser, Password: centamanPassword, Timeout: timeout})
	if err != nil {
		e.t.Fatal(err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var validator usher.Validator = Schemas(e.t)
	if opts.Validator != nil {
		validator = opts.Validator
	}
	var mailer site.TicketMailer = mail.NewSender(mail.Config{Addr: e.SMTP.Addr(), From: "Museum <tickets@museum.example>"}, e.Clock.Now)
	if opts.NoMail {
		mailer = nil
	}
	svc := site.New(site.Options{
		Store: e.Store, Validator: validator, Logger: logger, Now: e.Clock.Now,
		Mailer:  mailer,
		Venues:  []site.Venue{{Code: Institution, Name: "The Museum", Client: client, UpstreamHoldTTL: simcentaman.DefaultHoldTTL}},
		HoldTTL: 15 * time.Minute, MemberSessionTTL: 30 * time.Minute, CheckoutLease: 2 * time.Minute, SyncDays: 14,
	})
	return svc, site.NewHandler(svc, logger, 64<<10, e.Clock.Now)
}

// Sync syncs the copy and fails the test on error.
func (e *Env) Sync() site.SyncResult {
	e.t.Helper()
	res, err := e.Service.Sync(context.Background(), Institution)
	if err != nil {
		e.t.Fatalf("sync: %v", err)
	}
	return res
}

// Do sends a request to the usher API with the key and optional header
// pairs, and returns the status and body.
func (e *Env) Do(method, path string, body any, header ...string) (int, []byte) {
	e.t.Helper()
	return e.DoWith(e.Client, method, path, body, header...)
}

// DoWith is Do with another HTTP client; a transport error fails the test
// unless the client's timeout caused it, which returns status 0.
func (e *Env) DoWith(c *http.Client, method, path string, body any, header ...string) (int, []byte) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+APIKey)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		if c.Timeout > 0 {
			return 0, nil
		}
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// JSON sends a request and decodes the answer into out (when not nil).
func (e *Env) JSON(method, path string, body, out any, header ...string) int {
	e.t.Helper()
	status, data := e.Do(method, path, body, header...)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: %d %s: %v", method, path, status, data, err)
		}
	}
	return status
}

// Centaman calls the simulator's API directly, as another Centaman client
// (the venue's own systems) would, at path under its base path such as
// "member_services/Member"; it returns the status and decodes the answer
// into out (when not nil).
func (e *Env) Centaman(method, path string, body, out any) int {
	e.t.Helper()
	var r io.Reader = http.NoBody
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.SimURL+simcentaman.BasePath+"/"+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	req.SetBasicAuth(centamanUser, centamanPassword)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.Client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		dec := json.NewDecoder(resp.Body)
		dec.UseNumber()
		if err := dec.Decode(out); err != nil {
			e.t.Fatalf("%s %s: %d: %v", method, path, resp.StatusCode, err)
		}
	}
	return resp.StatusCode
}

// Path returns the API path of an institution route.
func Path(route string) string { return site.Prefix + Institution + "/" + route }

// Day returns the clock's day as YYYY-MM-DD.
func (e *Env) Day() string { return e.Clock.Now().Format("2006-01-02") }

// SmallSession returns a session of the day with capacity 20 (the
// dinosaur exhibition), and its adult and child ticket ids.
func (e *Env) SmallSession() (id, adult, child int64) {
	e.t.Helper()
	for _, s := range e.Sim.Sessions(e.Day()) {
		if s.Capacity == 20 {
			return s.ID, s.TicketIDs[0], s.TicketIDs[1]
		}
	}
	e.t.Fatal("no small session today")
	return 0, 0, 0
}

// ErrorBody is an API error answer.
type ErrorBody struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Detail  map[string]any `json:"detail"`
	} `json:"error"`
}
