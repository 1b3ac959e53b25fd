package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAnalyticsSettings(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "usher.yaml")
	secret := strings.Repeat("s", 40)
	if err := os.WriteFile(path, []byte("analytics:\n  timezone: Europe/Zurich\n  session_ttl: 2h\n  session_secret_env: MY_SECRET\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MY_SECRET": secret}
	cfg, err := Load(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Analytics.SessionTTL != 2*time.Hour || cfg.Analytics.SessionSecret != secret {
		t.Errorf("analytics = %+v", cfg.Analytics)
	}
	if loc, err := cfg.Analytics.Location(); err != nil || loc.String() != "Europe/Zurich" {
		t.Errorf("location = %v, %v", loc, err)
	}
	if got := cfg.Redacted().Analytics.SessionSecret; got != "REDACTED" {
		t.Errorf("redacted secret = %q", got)
	}
	if strings.Contains(cfg.Redacted().YAML(), secret) {
		t.Error("the printed configuration shows the session secret")
	}
}

func TestAnalyticsDefaultsAndErrors(t *testing.T) {
	cfg, err := Load("", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Analytics.SessionTTL != DefaultSessionTTL || cfg.Analytics.SessionSecret != "" {
		t.Errorf("defaults = %+v", cfg.Analytics)
	}
	for name, env := range map[string]map[string]string{
		"unknown zone": {"USHER_TIMEZONE": "Mars/Olympus"},
		"short secret": {"USHER_SESSION_SECRET": "too-short"},
	} {
		_, err := Load("", func(k string) string { return env[k] })
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
