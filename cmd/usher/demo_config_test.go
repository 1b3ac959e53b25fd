package main

import (
	"io"
	"log/slog"
	"testing"

	"github.com/usher-hub/usher/internal/config"
)

// The demo's configuration gets every default a file would (a login that
// lasts 8 h, the outbox's workers), every secret it makes is at least 16
// characters, its institution has an explicit auth block, and its S-360
// API block can take the CRM's bookings.
func TestDemoConfigHasTheDefaultsAndStrongSecrets(t *testing.T) {
	s := newDemoSecrets()
	up, err := startDemoUpstreams(s, "127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer up.Stop()
	cfg := config.Default()
	cfg.Database = "sqlite:" + t.TempDir() + "/demo.db"
	cfg, err = demoConfig(cfg, s, up, "http://127.0.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Dashboard.SessionTTL != config.DefaultSessionTTL || cfg.Outbox.Workers != config.DefaultOutboxWorkers || cfg.Analytics.ProjectInterval != config.DefaultProjectInterval {
		t.Errorf("the demo lacks the defaults a file gets:\n%s", cfg.Redacted().YAML())
	}
	for name, secret := range map[string]string{"push": s.push, "api key": s.apiKey, "s360 api": s.s360API, "crm signing": s.crmSigning,
		"crm token": s.crmToken, "centaman": s.centaman, "smtp": s.smtp, "metrics": s.metrics} {
		if len(secret) < 16 {
			t.Errorf("%s secret is %d characters, want at least 16", name, len(secret))
		}
	}
	for _, inst := range cfg.Institutions {
		if inst.Auth.Mode == "" || inst.Auth.Secret == "" {
			t.Errorf("institution %s has no explicit auth block", inst.Code)
		}
	}
	// A CRM booking needs the point of sales (docs/crm.md).
	if api := cfg.Institutions[0].S360API; api == nil || api.PointOfSalesID == 0 || api.BaseURL != "http://127.0.0.1:9" {
		t.Errorf("the demo's s360_api block cannot take bookings: %+v", api)
	}
	if s.apiKey == s.push || s.crmToken == s.crmSigning {
		t.Error("two demo secrets are the same")
	}
}
