package main

import (
	"net/http"
	"time"

	"github.com/usher-hub/usher/internal/analytics"
	"github.com/usher-hub/usher/internal/web"
)

// wireAnalytics mounts the analytics API (/api/v1/analytics/…) and the
// dashboard (/, /login, /dashboard/…).
func wireAnalytics(a *app) error {
	zone, err := a.cfg.Analytics.Location()
	if err != nil {
		return err
	}
	svc := analytics.NewService(a.store, time.Now, zone)
	codes := make([]string, 0, len(a.cfg.Institutions))
	for _, inst := range a.cfg.Institutions {
		codes = append(codes, inst.Code)
	}
	api := analytics.NewHandler(svc, codes, a.logger)
	dashboard, err := web.New(web.Deps{
		Service:       svc,
		Keys:          a.apiKeys,
		Institutions:  codes,
		Gatherer:      a.registry,
		SessionSecret: a.cfg.Analytics.SessionSecret,
		SessionTTL:    a.cfg.Analytics.SessionTTL,
		SecureCookies: a.cfg.Analytics.SecureCookies,
		Now:           time.Now,
		Logger:        a.logger,
	})
	if err != nil {
		return err
	}
	if a.cfg.Analytics.SessionSecret == "" {
		a.logger.Info("dashboard: no analytics.session_secret set, using a random one: logins end when usher restarts")
	}
	a.mounts = append(a.mounts, func(mux *http.ServeMux) { api.Mount(mux, a.apiKeys) }, dashboard.Mount)
	return nil
}
