package main

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
	"github.com/usher-hub/usher/internal/config"
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
		Logger:     a.logger.With("face", "dashboard"),
		SignInHint: signInHint(a.cfg), Mailbox: a.mailbox,
		Locale: a.cfg.Analytics.Locale, Zone: zone, Load: wireLoad(a),
		Documents: documentBrowser(a.store), ArrayKeys: a.arrayKeys,
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

// appOption wires what only some commands have: the demo's mail catcher.
type appOption func(*app)

// withMailbox shows mailbox on the dashboard's e-mails page.
func withMailbox(m web.Mailbox) appOption { return func(a *app) { a.mailbox = m } }

// noKeyHint tells the operator of a server without any API key how to
// make one; serve prints it at start and the login page shows it.
const noKeyHint = "No API key is configured, so nobody can sign in yet. Set USHER_ADMIN_KEY to a secret of at least 16 characters " +
	"(for example the output of `openssl rand -hex 16`) and restart usher, or add api_keys to the configuration file; see docs/configuration.md."

// signInHint is noKeyHint when cfg has no API key, else nothing.
func signInHint(cfg config.Config) string {
	if len(cfg.APIKeys) == 0 {
		return noKeyHint
	}
	return ""
}
