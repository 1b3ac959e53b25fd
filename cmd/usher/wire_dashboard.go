package main

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
	"github.com/usher-hub/usher/internal/web"
)

// wireDashboard mounts the analytics API (/api/v1/analytics/...) and the
// venue dashboard (/ and /dashboard/...) over one analytics service.
// "Today" is the venue's (analytics.timezone, default the server's zone).
func wireDashboard(a *app) error {
	zone, err := a.cfg.Analytics.Location()
	if err != nil {
		return err
	}
	svc := analytics.NewService(a.store, time.Now, zone)
	codes := make([]string, len(a.cfg.Institutions))
	for i, inst := range a.cfg.Institutions {
		codes[i] = inst.Code
	}
	api := analytics.NewHandler(svc, codes, a.logger)
	secret := []byte(a.cfg.Dashboard.SessionSecret)
	if len(secret) == 0 {
		secret = web.NewSecret()
		a.logger.Info("dashboard: no session_secret configured, using a random one: logins end when usher restarts")
	}
	dash, err := web.New(web.Options{
		Analytics: svc, Keys: a.apiKeys, Institutions: codes,
		Quarantine: dashboardQuarantine{a.store},
		Secret:     secret, TTL: a.cfg.Dashboard.SessionTTL, Now: time.Now,
		Logger: a.logger.With("face", "dashboard"),
	})
	if err != nil {
		return err
	}
	a.mounts = append(a.mounts, func(mux *http.ServeMux) { api.Mount(mux, a.apiKeys) }, dash.Mount)
	return nil
}

// dashboardQuarantine shows the store's pending quarantine on the
// dashboard's health page.
type dashboardQuarantine struct{ store usher.QuarantineStore }

func (q dashboardQuarantine) Pending(ctx context.Context, institution string, limit int) ([]web.QuarantineEntry, error) {
	docs, err := q.store.FindQuarantined(ctx, usher.QuarantineFilter{
		Institutions: []string{institution}, Status: usher.QuarantinePending, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]web.QuarantineEntry, len(docs))
	for i, d := range docs {
		problems := make([]string, len(d.Violations))
		for j, v := range d.Violations {
			problems[j] = v.Path + ": " + v.Message
		}
		out[i] = web.QuarantineEntry{ID: d.ID, Stream: d.Stream, DocType: d.DocType, ExternalID: d.ExternalID,
			ReceivedAt: d.ReceivedAt, LastSeenAt: d.LastSeenAt, SeenCount: d.SeenCount, Problems: problems,
			Conflict: len(d.Violations) > 0 && strings.HasPrefix(d.Violations[0].Message, usher.ConflictPrefix)}
	}
	return out, nil
}
