package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "usher.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultsNeedNoFile(t *testing.T) {
	cfg, err := Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database != "sqlite:usher.db" || cfg.Listen != "127.0.0.1:8080" || cfg.MaxBodyBytes != DefaultMaxBodyBytes {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestFileEnvAndSecrets(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "key")
	os.WriteFile(secretFile, []byte("from-file\n"), 0o600)
	path := write(t, `
listen: 127.0.0.1:9000
database: postgres://usher:pw@127.0.0.1/usher
institutions:
  - code: myvenue
    auth: {mode: basic, username: s360, secret_env: PUSH_PW}
  - code: other
    policy: strict
    auth: {mode: apikey, header: X-S360-Key, secret_file: `+secretFile+`}
api_keys:
  - name: dash
    secret: inline
    institutions: ["*"]
`)
	cfg, err := Load(path, env(map[string]string{"PUSH_PW": "from-env", "USHER_LISTEN": "127.0.0.1:9100"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9100" {
		t.Errorf("env did not override listen: %s", cfg.Listen)
	}
	insts := cfg.DomainInstitutions()
	if insts[0].Auth.Secret != "from-env" || insts[1].Auth.Secret != "from-file" || insts[1].Auth.Header != "X-S360-Key" {
		t.Errorf("secrets: %+v", insts)
	}
	if insts[0].Policy != usher.PolicyQuarantine || insts[1].Policy != usher.PolicyStrict {
		t.Errorf("policies: %+v", insts)
	}
	dump := cfg.Redacted().YAML()
	for _, secret := range []string{"from-env", "from-file", "inline", ":pw@"} {
		if strings.Contains(dump, secret) {
			t.Errorf("redacted dump contains %q:\n%s", secret, dump)
		}
	}
}

func TestValidationNamesTheSetting(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"institutions: [{code: 'bad code'}]", "code"},
		{"institutions: [{code: a, auth: {mode: basic, username: u}}]", "basic auth needs"},
		{"institutions: [{code: a, auth: {mode: apikey}}]", "apikey auth needs"},
		{"institutions: [{code: a, auth: {mode: oauth}}]", "auth mode"},
		{"institutions: [{code: a}, {code: a}]", "appears twice"},
		{"institutions: [{code: a, policy: lenient}]", "policy"},
		{"api_keys: [{name: k, secret: s}]", "institutions"},
		{"lisen: 1", "field lisen not found"},
	} {
		_, err := Load(write(t, tt.yaml), env(nil))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.yaml, err, tt.want)
		}
	}
}

// An empty file, and no file, give exactly Default(): the demo and tests,
// which start from Default(), get every default a file would get.
func TestEmptyFileGivesDefault(t *testing.T) {
	for name, path := range map[string]string{"no file": "", "empty file": write(t, ""), "empty blocks": write(t, "outbox: {}\ndashboard: {}\nanalytics: {}\nsite: {}\n")} {
		cfg, err := Load(path, env(nil))
		if err != nil {
			t.Fatal(name, err)
		}
		if !reflect.DeepEqual(cfg, Default()) {
			t.Errorf("%s:\n%s\nwant Default():\n%s", name, cfg.YAML(), Default().YAML())
		}
	}
	d := Default()
	if d.Dashboard.SessionTTL != 8*time.Hour || d.Outbox.Workers != 8 || d.Outbox.PollInterval != 500*time.Millisecond || d.Analytics.ProjectInterval != time.Second {
		t.Errorf("Default() lacks the documented defaults:\n%s", d.YAML())
	}
}

// A setting written as 0 gets its default, as documented, and every
// institution gets its policy and push header.
func TestZeroSettingsAndInstitutionsGetDefaults(t *testing.T) {
	cfg, err := Load(write(t, `
outbox: {workers: 0, poll_interval: 0s}
institutions:
  - code: myvenue
    auth: {mode: apikey, secret: push-secret-0123456789}
`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	inst := cfg.Institutions[0]
	if cfg.Outbox.Workers != 8 || cfg.Outbox.PollInterval != 500*time.Millisecond || inst.Policy != "quarantine" || inst.Auth.Header != "X-Api-Key" {
		t.Errorf("defaults not filled:\n%s", cfg.Redacted().YAML())
	}
}
