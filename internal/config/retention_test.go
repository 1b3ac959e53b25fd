package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
)

func TestRetention(t *testing.T) {
	none := func(string) string { return "" }
	cfg, err := Load("", none)
	if err != nil || len(cfg.RetentionRules()) != 0 || cfg.Pruning != (Pruning{Interval: time.Hour, BatchSize: 100}) {
		t.Fatalf("defaults: rules %v, pruning %+v; %v", cfg.RetentionRules(), cfg.Pruning, err)
	}
	path := filepath.Join(t.TempDir(), "usher.yaml")
	load := func(body string) (Config, error) {
		t.Helper()
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return Load(path, none)
	}
	venue := "institutions:\n  - code: myvenue\n    auth: {mode: none}\n    retention:\n"
	cfg, err = load(venue + "      contacts: {superseded_versions: 90d, quarantined: 720h}\n      ticketchecks: {checks: 730d}\npruning:\n  interval: 10m\n  batch_size: 200\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []usher.RetentionRule{
		{Institution: "myvenue", Stream: usher.StreamContacts, Kind: usher.RetainSuperseded, Keep: 90 * 24 * time.Hour},
		{Institution: "myvenue", Stream: usher.StreamContacts, Kind: usher.RetainQuarantined, Keep: 720 * time.Hour},
		{Institution: "myvenue", Stream: usher.StreamTicketChecks, Kind: usher.RetainChecks, Keep: 730 * 24 * time.Hour},
	}
	if got := cfg.RetentionRules(); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("rules = %+v, want %+v", got, want)
	}
	if cfg.Pruning != (Pruning{Interval: 10 * time.Minute, BatchSize: 200}) {
		t.Fatalf("pruning = %+v", cfg.Pruning)
	}
	// The share's default is the engine's: on PostgreSQL a batch holds no
	// lock a push needs.
	if cfg.PruneBusyShare() != 0.1 {
		t.Fatalf("SQLite's busy share = %v, want 0.1", cfg.PruneBusyShare())
	}
	if cfg, err := load("database: postgres://db/usher\n"); err != nil || cfg.PruneBusyShare() != 0.5 {
		t.Fatalf("PostgreSQL: busy share %v, %v; want 0.5", cfg.PruneBusyShare(), err)
	}
	if cfg, err := load("pruning:\n  busy_share: 100\n"); err != nil || cfg.PruneBusyShare() != 1 {
		t.Fatalf("busy_share 100: %v, %v", cfg.PruneBusyShare(), err)
	}
	if y := cfg.YAML(); !strings.Contains(y, "superseded_versions: 90d") || !strings.Contains(y, "quarantined: 30d") {
		t.Errorf("usher config prints:\n%s", y)
	}
	for body, wants := range map[string]string{
		venue + "      orders: {superseded_versions: -1h}\n":        "institutions[0] (myvenue): retention.orders.superseded_versions must be at least 1m",
		venue + "      ticketchecks: {quarantined: 30s}\n":          "retention.ticketchecks.quarantined must be at least 1m",
		venue + "      contacts: {checks: 30d}\n":                   "field checks not found",
		venue + "      ticketchecks: {superseded_versions: 1d}\n":   "field superseded_versions not found",
		venue + "      contacts: {superseded_versions: 3 months}\n": "not a retention time such as 90d or 720h",
		"pruning:\n  batch_size: 9000\n":                            "pruning.batch_size must be 1 to 5000",
		"pruning:\n  interval: -1s\n":                               "pruning.interval",
		"pruning:\n  busy_share: 101\n":                             "pruning.busy_share must be a percentage",
		"pruning:\n  busy_share: -5\n":                              "pruning.busy_share must be a percentage",
	} {
		if _, err := load(body); err == nil || !strings.Contains(err.Error(), wants) {
			t.Errorf("%q: err = %v, want one containing %q", body, err, wants)
		}
	}
}
