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
	os.WriteFile(secretFile, []byte("from-file-0123456789\n"), 0o600)
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
    secret: inline-0123456789
    institutions: ["*"]
`)
	cfg, err := Load(path, env(map[string]string{"PUSH_PW": "from-env-0123456789", "USHER_LISTEN": "127.0.0.1:9100"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9100" {
		t.Errorf("env did not override listen: %s", cfg.Listen)
	}
	insts := cfg.DomainInstitutions()
	if insts[0].Auth.Secret != "from-env-0123456789" || insts[1].Auth.Secret != "from-file-0123456789" || insts[1].Auth.Header != "X-S360-Key" {
		t.Errorf("secrets: %+v", insts)
	}
	if insts[0].Policy != usher.PolicyQuarantine || insts[1].Policy != usher.PolicyStrict {
		t.Errorf("policies: %+v", insts)
	}
	dump := cfg.Redacted().YAML()
	for _, secret := range []string{"from-env-0123456789", "from-file-0123456789", "inline-0123456789", ":pw@"} {
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
		{"institutions: [{code: a, auth: {mode: none}}, {code: a, auth: {mode: none}}]", "appears twice"},
		{"institutions: [{code: a, policy: lenient, auth: {mode: none}}]", "policy"},
		{"api_keys: [{name: k, secret: s}]", "institutions"},
		{"lisen: 1", "field lisen not found"},
		// Issue 16: no silent open door, no guessable secret.
		{"institutions: [{code: quiet}]", "institution quiet has no auth block"},
		{"institutions: [{code: a, auth: {mode: basic, username: u, secret: short}}]", "institution a auth.secret is 5 characters long"},
		{"institutions: [{code: b, auth: {mode: apikey, secret: 123456789012345}}]", "institution b auth.secret is 15 characters long"},
		{"api_keys: [{name: dash, secret: x, institutions: ['*']}]", "api_keys[0] (dash) secret is 1 characters long"},
		{"metrics: {token: tiny}", "metrics.token (USHER_METRICS_TOKEN) is 4 characters"},
		{"metrics: {listen: nohost}", "metrics.listen"},
		{"tls: {cert_file: c.pem}", "tls.cert_file and tls.key_file"},
		{"tls: {acme: {hosts: [usher.example.org], accept_tos: true}}", "tls.acme.cache_dir"},
		{"tls: {acme: {hosts: [usher.example.org], cache_dir: /tmp/x}}", "tls.acme.accept_tos"},
	} {
		_, err := Load(write(t, tt.yaml), env(nil))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.yaml, err, tt.want)
		}
	}
}

func TestShortAdminKeyFromEnvIsRefused(t *testing.T) {
	_, err := Load("", env(map[string]string{"USHER_ADMIN_KEY": "admin"}))
	if err == nil || !strings.Contains(err.Error(), "USHER_ADMIN_KEY") || strings.Contains(err.Error(), ": admin ") {
		t.Fatalf("err = %v, want one naming USHER_ADMIN_KEY without its value", err)
	}
}

func TestAuthNoneIsAllowedButWarned(t *testing.T) {
	cfg, err := Load(write(t, "listen: 0.0.0.0:8080\ninstitutions: [{code: open, auth: {mode: none}}, {code: shut, auth: {mode: apikey, secret: 0123456789abcdef}}]\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	warnings := strings.Join(cfg.Warnings(), "\n")
	if !strings.Contains(warnings, "institution open has auth mode none") || strings.Contains(warnings, "shut") {
		t.Errorf("warnings = %q, want one for institution open only", warnings)
	}
	if !strings.Contains(warnings, "/metrics on 0.0.0.0:8080 is open") {
		t.Errorf("warnings = %q, want one for the open /metrics", warnings)
	}
	cfg.Metrics.Token = "0123456789abcdef"
	if w := strings.Join(cfg.Warnings(), "\n"); strings.Contains(w, "/metrics") {
		t.Errorf("a token protects /metrics, yet: %q", w)
	}
}

// A secret that should come from the environment names the variable the
// service manager did not pass, not just "a secret".
func TestMissingSecretEnvIsNamed(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/usher.yaml"
	yaml := "institutions:\n  - code: myvenue\n    auth: {mode: basic, username: s360, secret_env: MYVENUE_PUSH_PASSWORD}\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "MYVENUE_PUSH_PASSWORD") {
		t.Fatalf("err = %v, want the variable named", err)
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
