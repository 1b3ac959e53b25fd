package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func loadYAML(t *testing.T, yaml string, env map[string]string) (Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "usher.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return Load(path, func(k string) string { return env[k] })
}

const centamanYAML = `
institutions:
  - code: museum
    auth: {mode: none}
    centaman:
      url: http://127.0.0.1:8090/CENTAMAN.API
      username: web
      password_env: CENTAMAN_PASSWORD
`

func TestSiteDefaultsAndSecrets(t *testing.T) {
	cfg, err := loadYAML(t, centamanYAML, map[string]string{"CENTAMAN_PASSWORD": "s3cret", "USHER_SITE_STOREFRONT": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Site.HoldTTL != 15*time.Minute || cfg.Site.SyncInterval != 5*time.Minute || !cfg.Site.Storefront {
		t.Fatalf("site = %+v, want defaults with the storefront on", cfg.Site)
	}
	cm := cfg.Institutions[0].Centaman
	if cm.Password != "s3cret" || cm.CentamanHoldTTL() != 20*time.Minute {
		t.Fatalf("centaman = %+v", cm)
	}
	red := cfg.Redacted()
	if red.Institutions[0].Centaman.Password != "REDACTED" || cfg.Institutions[0].Centaman.Password != "s3cret" {
		t.Fatal("redaction must hide the password in the copy only")
	}
	if strings.Contains(red.YAML(), "s3cret") {
		t.Fatal("printed configuration shows the Centaman password")
	}
}

func TestSiteValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		yaml string
		env  map[string]string
		want string
	}{
		"no password":            {centamanYAML, nil, "needs username and a password"},
		"hold outlives upstream": {centamanYAML + "site:\n  hold_ttl: 25m\n", map[string]string{"CENTAMAN_PASSWORD": "x"}, "must be longer than site.hold_ttl"},
		"bad url":                {strings.Replace(centamanYAML, "http://127.0.0.1:8090", "ftp://x", 1), map[string]string{"CENTAMAN_PASSWORD": "x"}, "http(s) URL"},
		"bad interval env":       {centamanYAML, map[string]string{"CENTAMAN_PASSWORD": "x", "USHER_SITE_SYNC_INTERVAL": "often"}, "USHER_SITE_SYNC_INTERVAL"},
		"tiny interval":          {centamanYAML + "site:\n  sync_interval: 1s\n", map[string]string{"CENTAMAN_PASSWORD": "x"}, "at least 10s"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadYAML(t, tc.yaml, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}
