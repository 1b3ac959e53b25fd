package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestAnalyticsTimezone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usher.yaml")
	if err := os.WriteFile(path, []byte("analytics:\n  timezone: Europe/Zurich\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if loc, err := cfg.Analytics.Location(); err != nil || loc.String() != "Europe/Zurich" {
		t.Errorf("location = %v, %v", loc, err)
	}
	cfg, err = Load("", func(string) string { return "" })
	if loc, _ := cfg.Analytics.Location(); err != nil || loc.String() != "Local" {
		t.Errorf("default location = %v, %v", loc, err)
	}
	if _, err := Load("", func(k string) string { return map[string]string{"USHER_TIMEZONE": "Mars/Olympus"}[k] }); err == nil {
		t.Error("an unknown time zone was accepted")
	}
}
