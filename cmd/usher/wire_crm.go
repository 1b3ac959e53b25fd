package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/config"
	"github.com/usher-hub/usher/internal/crm"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/outbox"
	"github.com/usher-hub/usher/internal/upstream/s360"
)

// crmWiring is CRM sync as wired into one process. Deliveries to CRMs
// and writes to S-360 have a worker pool each, so that a CRM that hangs
// cannot hold every worker while CRM writes wait, nor the reverse.
type crmWiring struct {
	clients    map[string]*s360.Client
	deliveries *outbox.Runner
	writes     *outbox.Runner
	// imports runs bulk imports in a pool of their own, so that a queue
	// of thousands of import jobs never stands in front of a live write,
	// and spends only the import share of the rate budget.
	imports *outbox.Runner
}

// wireCRM routes stored documents to CRM destinations, mounts the CRM
// API and GET /api/v1/outbox, registers the outbox metrics and starts the
// outbox workers (unless outbox.workers is -1), stopped by a.Close.
func wireCRM(ctx context.Context, a *app) error {
	m := metrics.NewOutbox(a.registry)
	a.store.RouteDeliveries(a.cfg.CRMRoutes())
	hc := crm.NewHTTPClient()
	dests, err := crmDestinations(a.cfg)
	if err != nil {
		return err
	}
	w := &crmWiring{clients: s360Clients(a, hc, m)}
	targets := map[string]crm.Target{}
	attempts := map[string]int{}
	batch := 0
	for code, c := range w.clients {
		api := a.cfg.Institutions[institutionIndex(a.cfg, code)].S360API.WithDefaults(code)
		targets[code] = crm.Target{Upstream: c, PointOfSalesID: api.PointOfSalesID, ContactBatch: api.ContactBatch}
		attempts[code] = api.MaxAttempts
		batch = max(batch, api.ContactBatch)
	}
	writer := crm.NewWriter(a.store, targets, a.cfg.Outbox.EchoWindow, time.Now, m)
	w.deliveries = outbox.New(a.store, map[string]outbox.Handler{
		usher.KindCRMDelivery: crm.NewDeliverer(a.store, dests, hc, time.Now, m, a.logger),
	}, outboxConfig(a.cfg.Outbox), m, a.logger)
	writesCfg := outboxConfig(a.cfg.Outbox)
	writesCfg.Retention = -1 // the delivery pool prunes for both
	if writesCfg.Concurrency >= 0 {
		// A createCulturalContact call fills only with as many attempts
		// waiting at once; the others wait on the rate budget, not on
		// S-360, so the extra workers cost nothing but goroutines.
		writesCfg.Concurrency = max(writesCfg.Concurrency, batch)
	}
	w.writes = outbox.New(a.store, map[string]outbox.Handler{
		usher.KindS360SaveContact:   writer.SaveContact(),
		usher.KindS360CreateBooking: writer.CreateBooking(),
	}, writesCfg, m, a.logger)
	w.imports = wireImports(a, w.clients, m, batch)
	svc := crm.NewService(a.store, attempts, m, a.logger, time.Now, w.writes.Wake)
	api := crm.NewHandler(svc, a.logger)
	var codes []string
	for _, inst := range a.cfg.Institutions {
		codes = append(codes, inst.Code)
	}
	status := outbox.NewStatusHandler(a.store, codes, w.extra(a), a.logger)
	a.mounts = append(a.mounts, func(mux *http.ServeMux) {
		api.Mount(mux, a.apiKeys)
		mux.Handle("GET /api/v1/outbox", a.apiKeys.Require(a.logger, status))
	})
	w.registerSnapshots(a)
	if a.cfg.Outbox.Workers >= 0 {
		w.start(ctx, a)
	}
	return nil
}

// start runs the outbox workers until ctx ends or the app closes.
func (w *crmWiring) start(ctx context.Context, a *app) {
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, r := range []*outbox.Runner{w.deliveries, w.writes, w.imports} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = r.Run(runCtx)
		}()
	}
	a.closers = append(a.closers, func() error {
		cancel()
		wg.Wait()
		return nil
	})
}

func outboxConfig(c config.Outbox) outbox.Config {
	return outbox.Config{
		Concurrency:  c.Workers,
		PollInterval: c.PollInterval,
		Lease:        c.Lease,
		Backoff:      outbox.Backoff{Base: c.RetryBase, Max: c.RetryMax},
		Retention:    c.Retention,
	}
}

func crmDestinations(cfg config.Config) ([]crm.Destination, error) {
	var out []crm.Destination
	for _, inst := range cfg.Institutions {
		for _, d := range inst.CRMDestinations {
			d = d.WithDefaults()
			signer, err := crm.NewSigner(d.SigningSecret)
			if err != nil {
				return nil, fmt.Errorf("institution %s: crm destination %s: %w", inst.Code, d.Name, err)
			}
			out = append(out, crm.Destination{
				Institution: inst.Code, Name: d.Name, URL: d.URL, Signer: signer, Format: d.Format, Timeout: d.Timeout,
				Auth: usher.PushAuth{Mode: usher.AuthMode(d.Auth.Mode), Username: d.Auth.Username, Secret: d.Auth.Secret, Header: d.Auth.Header},
			})
		}
	}
	return out, nil
}

// s360Clients builds one client per institution with an S-360 API, each
// spending its instance's budget through the shared bucket s360:<code>.
func s360Clients(a *app, hc *http.Client, m *metrics.Outbox) map[string]*s360.Client {
	out := map[string]*s360.Client{}
	for _, inst := range a.cfg.Institutions {
		if inst.S360API == nil {
			continue
		}
		api := inst.S360API.WithDefaults(inst.Code)
		breaker := s360.NewBreaker(api.CircuitFailures, api.CircuitCooldown, time.Now)
		c := s360.NewClient(s360.Config{Institution: api.Institution, BaseURL: api.BaseURL, Operator: api.Operator,
			Partner: api.Partner, Secret: api.Secret, Timeout: api.Timeout, ThrottleWindow: api.RateWindow}, hc, s360Budget(a, api), breaker, time.Now)
		code := inst.Code
		c.Observe(func(method string, status int) {
			m.UpstreamCalls.WithLabelValues(code, method, fmt.Sprint(status)).Inc()
		})
		out[inst.Code] = c
	}
	return out
}

// wireImports returns the runner of bulk import jobs. Its clients share
// each live client's circuit breaker and bucket, behind a bucket of their
// own that keeps s360_api.import_reserve of the budget for live writes.
func wireImports(a *app, live map[string]*s360.Client, m *metrics.Outbox, batch int) *outbox.Runner {
	hc := crm.NewHTTPClient()
	targets := map[string]crm.Target{}
	for code, lc := range live {
		api := a.cfg.Institutions[institutionIndex(a.cfg, code)].S360API.WithDefaults(code)
		limit := usher.RateLimit{Limit: api.RateLimit, Window: api.RateWindow}
		bucket := "s360:" + strings.ToLower(api.Institution) + ":import"
		budget := s360.NewBulkBudget(s360Budget(a, api), a.store, bucket, limit, api.ImportReserve, api.RateHeadroom, time.Now)
		c := s360.NewClient(s360.Config{Institution: api.Institution, BaseURL: api.BaseURL, Operator: api.Operator,
			Partner: api.Partner, Secret: api.Secret, Timeout: api.Timeout, ThrottleWindow: api.RateWindow}, hc, budget, lc.Breaker(), time.Now)
		c.Observe(func(method string, status int) {
			m.UpstreamCalls.WithLabelValues(code, method, fmt.Sprint(status)).Inc()
		})
		targets[code] = crm.Target{Upstream: c, PointOfSalesID: api.PointOfSalesID, ContactBatch: api.ContactBatch}
	}
	writer := crm.NewWriter(a.store, targets, a.cfg.Outbox.EchoWindow, time.Now, m)
	cfg := outboxConfig(a.cfg.Outbox)
	cfg.Retention = -1 // the delivery pool prunes for all
	if cfg.Concurrency >= 0 {
		// Two calls' worth of attempts: one batch waits for its rate slot
		// while the next one fills.
		cfg.Concurrency = max(cfg.Concurrency, 2*batch)
	}
	return outbox.New(a.store, map[string]outbox.Handler{usher.KindS360ImportContact: writer.SaveContact()}, cfg, m, a.logger)
}

// s360Budget is the rate budget of an instance: one bucket for all its
// endpoints, s360:<code>, or one per service, s360:<code>:<service>.
func s360Budget(a *app, api config.S360API) s360.Budget {
	limit := usher.RateLimit{Limit: api.RateLimit, Window: api.RateWindow}
	bucket := "s360:" + strings.ToLower(api.Institution)
	if api.RateMode == config.RateModeEndpoint {
		return s360.NewEndpointBudget(a.store, bucket, limit, api.RateHeadroom, time.Now)
	}
	return s360.InstanceBudget{Limiter: s360.NewLimiter(a.store, bucket, limit, api.RateHeadroom, time.Now)}
}

func institutionIndex(cfg config.Config, code string) int {
	for i, inst := range cfg.Institutions {
		if inst.Code == code {
			return i
		}
	}
	return -1
}

// extra adds to GET /api/v1/outbox each institution's S-360 rate-limit
// headroom and circuit state, its CRM destinations and its echo counts.
func (w *crmWiring) extra(a *app) outbox.Extra {
	return func(ctx context.Context, code string) (map[string]any, error) {
		out := map[string]any{}
		if c, ok := w.clients[code]; ok {
			h, err := c.Limiter().Headroom(ctx)
			if err != nil {
				return nil, err
			}
			out["s360"] = map[string]any{"rate_limit": h, "circuit": c.Breaker().State()}
		}
		names := []string{} // an array, as docs/openapi.yaml says, even when empty
		if i := institutionIndex(a.cfg, code); i >= 0 {
			for _, d := range a.cfg.Institutions[i].CRMDestinations {
				names = append(names, d.Name)
			}
		}
		out["crm_destinations"] = names
		counts, err := a.store.CountEchoes(ctx)
		if err != nil {
			return nil, err
		}
		echoes := map[usher.EchoOutcome]int{usher.EchoPending: 0, usher.EchoSuppressed: 0, usher.EchoConflict: 0}
		for _, c := range counts {
			if c.Institution == code {
				echoes[c.Outcome] = c.Count
			}
		}
		out["echoes"] = echoes
		return out, nil
	}
}

// registerSnapshots adds gauges read at scrape time: queue depth by
// state, rate-limit headroom, breaker state and echo counts.
func (w *crmWiring) registerSnapshots(a *app) {
	metrics.NewSnapshot(a.registry, "usher_outbox_jobs", "Outbox jobs by institution, kind and state (queued, inflight, done, failed).",
		[]string{"institution", "kind", "state"}, func(ctx context.Context) ([]metrics.Reading, error) {
			counts, err := a.store.CountJobs(ctx)
			var out []metrics.Reading
			for _, c := range counts {
				out = append(out, metrics.Reading{Labels: []string{c.Institution, c.Kind, string(c.State)}, Value: float64(c.Count)})
			}
			return out, err
		})
	metrics.NewSnapshot(a.registry, "usher_rate_limit_available", "S-360 calls that could start now without waiting (the shared bucket's headroom), by institution.",
		[]string{"institution"}, func(ctx context.Context) ([]metrics.Reading, error) {
			var out []metrics.Reading
			for code, c := range w.clients {
				h, err := c.Limiter().Headroom(ctx)
				if err != nil {
					return nil, err
				}
				out = append(out, metrics.Reading{Labels: []string{code}, Value: float64(h.Available)})
			}
			return out, nil
		})
	metrics.NewSnapshot(a.registry, "usher_circuit_state", "S-360 circuit breaker state by institution: 1 for the current state.",
		[]string{"institution", "state"}, func(ctx context.Context) ([]metrics.Reading, error) {
			var out []metrics.Reading
			for code, c := range w.clients {
				cur := c.Breaker().State()
				for _, s := range []s360.BreakerState{s360.BreakerClosed, s360.BreakerOpen, s360.BreakerHalfOpen} {
					v := 0.0
					if s == cur {
						v = 1
					}
					out = append(out, metrics.Reading{Labels: []string{code, string(s)}, Value: v})
				}
			}
			return out, nil
		})
	metrics.NewSnapshot(a.registry, "usher_crm_echoes", "CRM writes by what became of their echo (pending, suppressed, conflict), by institution.",
		[]string{"institution", "outcome"}, func(ctx context.Context) ([]metrics.Reading, error) {
			counts, err := a.store.CountEchoes(ctx)
			var out []metrics.Reading
			for _, c := range counts {
				out = append(out, metrics.Reading{Labels: []string{c.Institution, string(c.Outcome)}, Value: float64(c.Count)})
			}
			return out, err
		})
}
