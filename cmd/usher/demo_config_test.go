package main

import (
	"io"
	"log/slog"
	"testing"

	"github.com/usher-hub/usher/internal/config"
)

// The demo's configuration gets every default a file would (a login that
// lasts 8 h, the outbox's workers), every secret it makes is at least 16
// characters, and its institution has an explicit auth block.
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
		"crm token": s.crmToken, "centaman": s.centaman, "smtp": s.smtp} {
		if len(secret) < 16 {
			t.Errorf("%s secret is %d characters, want at least 16", name, len(secret))
		}
	}
	for _, inst := range cfg.Institutions {
		if inst.Auth.Mode == "" || inst.Auth.Secret == "" {
			t.Errorf("institution %s has no explicit auth block", inst.Code)
		}
	}
	if s.apiKey == s.push || s.crmToken == s.crmSigning {
		t.Error("two demo secrets are the same")
	}
}
