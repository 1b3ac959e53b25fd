package config

import (
	"strings"
	"testing"
	"time"
)

func TestDashboardConfig(t *testing.T) {
	secret := strings.Repeat("s", 40)
	cfg, err := loadYAML(t, "dashboard:\n  session_secret: "+secret+"\n  session_ttl: 2h\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Dashboard.SessionSecret != secret || cfg.Dashboard.SessionTTL != 2*time.Hour {
		t.Fatalf("dashboard = %+v", cfg.Dashboard)
	}
	if out := cfg.Redacted().YAML(); strings.Contains(out, secret) || !strings.Contains(out, "REDACTED") {
		t.Fatalf("printed configuration leaks the session secret:\n%s", out)
	}
}

func TestDashboardConfigDefaultsAndEnv(t *testing.T) {
	cfg, err := loadYAML(t, "dashboard:\n  session_secret_env: MY_SECRET\n", map[string]string{
		"MY_SECRET": strings.Repeat("e", 32), "USHER_DASHBOARD_SESSION_TTL": "30m"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Dashboard.SessionSecret != strings.Repeat("e", 32) || cfg.Dashboard.SessionTTL != 30*time.Minute {
		t.Fatalf("dashboard = %+v", cfg.Dashboard)
	}
	cfg, err = Load("", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Dashboard.SessionSecret != "" || cfg.Dashboard.SessionTTL != DefaultSessionTTL {
		t.Fatalf("defaults = %+v", cfg.Dashboard)
	}
}

func TestDashboardConfigRejects(t *testing.T) {
	for name, text := range map[string]string{
		"short secret":  "dashboard:\n  session_secret: tooshort\n",
		"ttl too long":  "dashboard:\n  session_ttl: 1000h\n",
		"ttl too short": "dashboard:\n  session_ttl: 1s\n",
	} {
		if _, err := loadYAML(t, text, nil); err == nil || !strings.Contains(err.Error(), "dashboard") {
			t.Errorf("%s: err = %v, want a dashboard error", name, err)
		}
	}
}
