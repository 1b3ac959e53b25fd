package main

import (
	"context"
	"net/http"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/config"
	"github.com/usher-hub/usher/internal/httpapi"
	"github.com/usher-hub/usher/internal/mail"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/site"
	"github.com/usher-hub/usher/internal/storefront"
	"github.com/usher-hub/usher/internal/upstream/centaman"
)

// wireSite serves the website layer for the institutions with Centaman:
// the API under /api/v1/site/, the storefront when enabled, and the
// background work (sync of the copy, expiry of holds, e-ticket retries),
// stopped before the store closes. validator is the schema registry
// ingest uses, so Centaman documents are checked by the same readable
// schemas, schema_dir overrides and drift reporting as S-360 pushes.
func wireSite(ctx context.Context, a *app, validator usher.Validator) error {
	venues, names, err := siteVenues(a.cfg)
	if err != nil {
		return err
	}
	if len(venues) == 0 {
		a.mounts = append(a.mounts, explainedNotFound(a, site.Prefix,
			"no institution of this server has a website layer: give one a centaman block (docs/website.md)"))
		return nil
	}
	var mailer site.TicketMailer
	if a.cfg.Mail.SMTPAddr != "" {
		mailer = mail.NewSender(mail.Config{Addr: a.cfg.Mail.SMTPAddr, From: a.cfg.Mail.From,
			Username: a.cfg.Mail.Username, Password: a.cfg.Mail.Password}, time.Now)
	} else {
		a.logger.Warn("mail.smtp_addr is not set: checkouts succeed but no e-tickets are sent; see docs/website.md")
	}
	sc := a.cfg.Site
	svc := site.New(site.Options{
		Store: a.store, Validator: validator, Mailer: mailer, Metrics: metrics.NewSite(a.registry),
		Logger: a.logger.With("face", "site"), Now: time.Now, Venues: venues,
		HoldTTL: sc.HoldTTL, MemberSessionTTL: sc.MemberSessionTTL, CheckoutLease: sc.CheckoutLease, SyncDays: sc.SyncDays,
		HoldLimits: site.HoldLimits(sc.HoldLimits),
	})
	h := site.NewHandler(svc, a.logger.With("face", "site"), sc.MaxBodyBytes, time.Now)
	a.mounts = append(a.mounts, h.Mount(a.apiKeys))
	if !sc.Storefront {
		a.mounts = append(a.mounts, explainedNotFound(a, "/storefront/",
			"the reference storefront is off: set site.storefront: true (or USHER_SITE_STOREFRONT=true) and restart (docs/website.md)"))
	} else {
		sf := storefront.New(storefront.Options{API: h.API(), Venues: names, MaxBody: sc.MaxBodyBytes, Now: time.Now, Logger: a.logger,
			Email: mailer != nil})
		a.mounts = append(a.mounts, sf.Mount)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.Run(runCtx, sc.SyncInterval)
	}()
	a.closers = append(a.closers, func() error { cancel(); <-done; return nil })
	return nil
}

func siteVenues(cfg config.Config) ([]site.Venue, map[string]string, error) {
	var venues []site.Venue
	names := map[string]string{}
	for _, inst := range cfg.Institutions {
		cm := inst.Centaman
		if cm == nil {
			continue
		}
		client, err := centaman.New(centaman.Config{BaseURL: cm.URL, Username: cm.Username, Password: cm.Password, Timeout: cm.Timeout})
		if err != nil {
			return nil, nil, err
		}
		name := cm.VenueName
		if name == "" {
			name = inst.Code
		}
		venues = append(venues, site.Venue{Code: inst.Code, Name: name, Client: client, UpstreamHoldTTL: cm.CentamanHoldTTL()})
		names[inst.Code] = name
	}
	return venues, names, nil
}

// explainedNotFound answers every request under prefix with a JSON 404
// that says why, instead of the mux's bare "404 page not found".
func explainedNotFound(a *app, prefix, why string) func(*http.ServeMux) {
	return func(mux *http.ServeMux) {
		mux.HandleFunc(prefix, func(w http.ResponseWriter, r *http.Request) {
			httpapi.Error(w, r, a.logger, usher.Errorf(usher.ENOTFOUND, "%s", why))
		})
	}
}
