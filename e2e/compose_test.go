package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestComposeRunsTwoReplicasOnPostgres reads deploy/compose.yaml (no
// container daemon runs here to start it): PostgreSQL and at least two
// usher services built from the Dockerfile, each on PostgreSQL, read-only,
// without capabilities, with its configuration mounted where the image's
// CMD reads it.
func TestComposeRunsTwoReplicasOnPostgres(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image string `yaml:"image"`
			Build struct {
				Context    string `yaml:"context"`
				Dockerfile string `yaml:"dockerfile"`
			} `yaml:"build"`
			Environment map[string]string `yaml:"environment"`
			Volumes     []string          `yaml:"volumes"`
			ReadOnly    bool              `yaml:"read_only"`
			CapDrop     []string          `yaml:"cap_drop"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &compose); err != nil {
		t.Fatalf("deploy/compose.yaml: %v", err)
	}
	if _, ok := compose.Services["postgres"]; !ok {
		t.Fatal("deploy/compose.yaml has no postgres service")
	}
	replicas := 0
	for name, s := range compose.Services {
		if s.Build.Dockerfile == "" {
			continue
		}
		replicas++
		if filepath.Join(repoRoot, "deploy", s.Build.Context, s.Build.Dockerfile) != filepath.Join(repoRoot, "Dockerfile") {
			t.Errorf("%s builds %s/%s, not the repository's Dockerfile", name, s.Build.Context, s.Build.Dockerfile)
		}
		if !strings.HasPrefix(s.Environment["USHER_DATABASE"], "postgres://") {
			t.Errorf("%s: USHER_DATABASE %q is not PostgreSQL: replicas must share one database", name, s.Environment["USHER_DATABASE"])
		}
		if !s.ReadOnly || len(s.CapDrop) == 0 || s.CapDrop[0] != "ALL" {
			t.Errorf("%s: want read_only and cap_drop [ALL]", name)
		}
		if !strings.Contains(strings.Join(s.Volumes, " "), ":/etc/usher/usher.yaml") {
			t.Errorf("%s mounts no configuration at /etc/usher/usher.yaml, where the image's CMD reads it", name)
		}
	}
	if replicas < 2 {
		t.Fatalf("%d usher replicas in deploy/compose.yaml, want 2", replicas)
	}
}
