package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/config"
	"github.com/usher-hub/usher/internal/crm"
	"github.com/usher-hub/usher/internal/crm/crmtest"
	"github.com/usher-hub/usher/internal/outbox"
	"github.com/usher-hub/usher/internal/sim/s360api"
	"github.com/usher-hub/usher/internal/testdb"
)

// The secrets the harness shares between usher, the CRM and S-360.
var (
	crmSigningSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("a-32-byte-signing-key-for-tests!"))
	crmAPIKey        = "crm-api-key-0123456789"
	s360Secret       = "operator-password"
)

// newTestCRM starts the test CRM with the harness's secrets.
func newTestCRM(t *testing.T) *crmtest.CRM { return crmtest.New(t, crmSigningSecret, "crm-token") }

// harness is usher wired in-process (newApp, as serve wires it) between
// the S-360 simulator and the test CRM, all on loopback.
type harness struct {
	t   *testing.T
	sim *s360api.Sim
	crm *crmtest.CRM
	// usherURL and hc reach usher: in-process or the real binary.
	usherURL string
	hc       *http.Client
	app      *app
	// settleLimit bounds settle; default a minute.
	settleLimit time.Duration
}

type harnessOptions struct {
	// simLimit calls per simWindow at S-360; usher is told the same.
	simLimit  int
	simWindow time.Duration
	workers   int
	cooldown  time.Duration
	// contactBatch is s360_api.contact_batch (default 50).
	contactBatch int
	// lostRatio is the share of S-360 writes whose answer is lost.
	lostRatio float64
	// rateMode is s360_api.rate_mode; endpoint makes the stand-in count
	// each service's calls apart too.
	rateMode string
	// maxAttempts is s360_api.max_attempts (default 15).
	maxAttempts int
	// returnIdentifier turns on the stand-in's undocumented help:
	// searchContact returns the identifier a contact was created with.
	returnIdentifier bool
}

func newHarness(t *testing.T, engine string, o harnessOptions) *harness {
	t.Helper()
	if o.simLimit == 0 {
		o.simLimit, o.simWindow = 6000, time.Minute
	}
	if o.cooldown == 0 {
		o.cooldown = 200 * time.Millisecond
	}
	h := &harness{t: t, crm: newTestCRM(t)}
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	h.usherURL, h.hc = srv.URL, srv.Client()
	h.sim = s360api.New(s360api.Config{
		Institutions: []s360api.Institution{{Code: "MYVENUE", Secret: s360Secret, PushURL: h.usherURL + "/s360/contacts/myvenue"}},
		RateLimit:    o.simLimit, RateWindow: o.simWindow, LostRatio: o.lostRatio, Seed: 15,
		ReturnIdentifier: o.returnIdentifier, PerEndpoint: o.rateMode == config.RateModeEndpoint,
	})
	simSrv := httptest.NewServer(h.sim)
	t.Cleanup(simSrv.Close)
	cfg := harnessConfig(testdb.DSN(t, engine), simSrv.URL, h.crm.URL, o)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		a.Close()
	})
	h.app, handler = a, a.handler
	return h
}

func harnessConfig(database, simURL, crmURL string, o harnessOptions) config.Config {
	cfg := config.Default()
	cfg.Database = database
	cfg.Institutions = []config.Institution{{
		Code: "myvenue",
		Auth: config.Auth{Mode: "none"},
		CRMDestinations: []config.CRMDestination{{
			Name: "extcrm", URL: crmURL + "/s360/{stream}/{institution}", SigningSecret: crmSigningSecret,
			Auth: config.Auth{Mode: "bearer", Secret: "crm-token"},
		}},
		S360API: &config.S360API{BaseURL: simURL, Operator: "MYVENUE_CRM", Partner: "usher", Secret: s360Secret,
			RateLimit: o.simLimit, RateWindow: o.simWindow, CircuitFailures: 3, CircuitCooldown: o.cooldown,
			PointOfSalesID: 10228100001, ContactBatch: o.contactBatch, MaxAttempts: o.maxAttempts,
			RateMode: o.rateMode},
	}}
	cfg.APIKeys = []config.APIKey{{Name: "crm", Secret: crmAPIKey, Institutions: []string{"myvenue"}}}
	cfg.Outbox = config.Outbox{Workers: o.workers, PollInterval: 20 * time.Millisecond, RetryBase: 50 * time.Millisecond, RetryMax: time.Second}
	return cfg
}

// postCRM sends one CRM write and returns the receipt.
func (h *harness) postCRM(path string, body any, idem string) crm.Receipt {
	h.t.Helper()
	status, raw := h.request(http.MethodPost, path, body, idem)
	if status != http.StatusAccepted {
		h.t.Fatalf("POST %s: %d %s", path, status, raw)
	}
	var rc crm.Receipt
	if err := json.Unmarshal(raw, &rc); err != nil {
		h.t.Fatal(err)
	}
	return rc
}

func (h *harness) request(method, path string, body any, idem string) (int, []byte) {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.usherURL+path, rd)
	req.Header.Set("Authorization", "Bearer "+crmAPIKey)
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// waitFor polls cond until it holds, failing after limit. The outbox works
// in other goroutines on its own clock; the test only waits for it.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settle waits until the outbox holds nothing queued or in flight.
func (h *harness) settle() {
	h.t.Helper()
	limit := time.Minute
	if h.settleLimit > 0 {
		limit = h.settleLimit
	}
	waitFor(h.t, limit, "an idle outbox", func() bool {
		counts, err := h.app.store.CountJobs(context.Background())
		if err != nil {
			h.t.Fatal(err)
		}
		for _, c := range counts {
			if c.State == usher.JobQueued || c.State == usher.JobInFlight {
				return false
			}
		}
		return true
	})
}

// resolved counts the done S-360 writes whose result says how a lost
// answer was resolved.
func (h *harness) resolved(outcome string) int {
	h.t.Helper()
	jobs, err := h.app.store.FindJobs(context.Background(), usher.JobFilter{State: usher.JobDone, Limit: 100000})
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for _, j := range jobs {
		var res struct {
			Resolved string `json:"resolved"`
		}
		if json.Unmarshal(j.Result, &res) == nil && res.Resolved == outcome {
			n++
		}
	}
	return n
}

func (h *harness) storedVersions(number string) int {
	h.t.Helper()
	docs, err := h.app.store.FindDocuments(context.Background(), usher.DocumentFilter{Institution: "myvenue",
		Stream: usher.StreamContacts, ExternalID: number, AllVersions: true})
	if err != nil {
		h.t.Fatal(err)
	}
	return len(docs)
}

func (h *harness) requestStatus(rc crm.Receipt) crm.RequestStatus {
	h.t.Helper()
	status, raw := h.request(http.MethodGet, rc.StatusURL, nil, "")
	var st crm.RequestStatus
	if err := json.Unmarshal(raw, &st); status != http.StatusOK || err != nil {
		h.t.Fatalf("GET %s: %d %s", rc.StatusURL, status, raw)
	}
	return st
}

func (h *harness) requestState(rc crm.Receipt) usher.JobState { return h.requestStatus(rc).State }

func (h *harness) outboxExtra() map[string]any {
	h.t.Helper()
	status, raw := h.request(http.MethodGet, "/api/v1/outbox", nil, "")
	var body outbox.StatusBody
	if err := json.Unmarshal(raw, &body); status != http.StatusOK || err != nil || len(body.Institutions) != 1 {
		h.t.Fatalf("GET /api/v1/outbox: %d %s", status, raw)
	}
	return body.Institutions[0].Extra
}
