// Package config loads usher's configuration: defaults, then an optional
// YAML file, then environment overrides, then Validate. Secrets may be
// given inline, by environment variable name or by file, and are redacted
// whenever the configuration is printed.
package config

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/usher-hub/usher"
)

// DefaultMaxBodyBytes bounds a push body. An S-360 payload holds at most 50
// documents; a large order with tickets is a few tens of kilobytes, so 4 MiB
// leaves ample room while keeping one client from exhausting memory.
const DefaultMaxBodyBytes = 4 << 20

// Config is the whole configuration of one usher process.
type Config struct {
	// Listen is the HTTP listen address. Default 127.0.0.1:8080.
	// Env USHER_LISTEN.
	Listen string `yaml:"listen"`
	// Database is "sqlite:PATH" or a postgres:// URL. Default
	// sqlite:usher.db. Env USHER_DATABASE.
	Database string `yaml:"database"`
	// MaxBodyBytes bounds one push body. Default 4 MiB. Env USHER_MAX_BODY_BYTES.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// LogLevel is debug, info, warn or error. Default info. Env USHER_LOG_LEVEL.
	LogLevel string `yaml:"log_level"`
	// LogFormat is text or json. Default text. Env USHER_LOG_FORMAT.
	LogFormat string `yaml:"log_format"`
	// SchemaDir, if set, holds schema files that override the built-in ones.
	// Env USHER_SCHEMA_DIR.
	SchemaDir string `yaml:"schema_dir"`
	// Institutions lists the upstream instances usher accepts pushes from.
	Institutions []Institution `yaml:"institutions"`
	// APIKeys are the credentials of usher's own API (/api/v1) and
	// dashboard, each scoped to some institutions.
	APIKeys []APIKey `yaml:"api_keys"`
	// Site and Mail configure the website layer (site.go).
	Site Site `yaml:"site"`
	Mail Mail `yaml:"mail"`
	// Dashboard configures the venue dashboard; see dashboard.go.
	Dashboard Dashboard `yaml:"dashboard"`
	// Outbox tunes the outbox workers (crm.go).
	Outbox Outbox `yaml:"outbox"`
	// Analytics sets the venue's time zone for reports (analytics.go).
	Analytics Analytics `yaml:"analytics"`
	// Metrics protects /metrics (metrics.go).
	Metrics Metrics `yaml:"metrics"`
	// TLS serves HTTPS without a proxy (tls.go).
	TLS TLS `yaml:"tls"`
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client, for the throttles (proxies.go). Env USHER_TRUSTED_PROXIES.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// Ingest bounds the work of one push (ingest.go).
	Ingest Ingest `yaml:"ingest"`
	// Pruning paces the pruner of institutions' retention (retention.go).
	Pruning Pruning `yaml:"pruning"`
	// Documents lists the indexed document paths (documents.go).
	Documents Documents `yaml:"documents,omitempty"`
}

// APIKey configures one credential for usher's API. The secret is read
// like a push secret: secret, else secret_env, else secret_file.
type APIKey struct {
	Name       string `yaml:"name"`
	Secret     string `yaml:"secret"`
	SecretEnv  string `yaml:"secret_env"`
	SecretFile string `yaml:"secret_file"`
	// Institutions the key may act on; ["*"] for all.
	Institutions []string `yaml:"institutions"`
}

// Institution configures one upstream institution.
type Institution struct {
	// Code is the institution code as it appears in push URLs (myvenue).
	Code string `yaml:"code"`
	// Auth is how its pushes authenticate.
	Auth Auth `yaml:"auth"`
	// Policy is quarantine (default) or strict.
	Policy string `yaml:"policy"`
	// Centaman, when set, lets the website layer serve this institution.
	Centaman *Centaman `yaml:"centaman"`
	// CRMDestinations receive the institution's contacts and orders (crm.go).
	CRMDestinations []CRMDestination `yaml:"crm_destinations"`
	// S360API is the institution's S-360 API, for writes from the CRM (crm.go).
	S360API *S360API `yaml:"s360_api"`
	// Retention says how long stored rows are kept (retention.go).
	Retention Retention `yaml:"retention,omitempty"`
}

// Auth configures push authentication. A secret is taken from Secret,
// else from the environment variable SecretEnv, else from the file
// SecretFile (trailing newline trimmed).
type Auth struct {
	Mode       string `yaml:"mode"`     // none, basic or apikey
	Username   string `yaml:"username"` // basic only
	Header     string `yaml:"header"`   // apikey only; default X-Api-Key
	Secret     string `yaml:"secret"`   // password or API key
	SecretEnv  string `yaml:"secret_env"`
	SecretFile string `yaml:"secret_file"`
}

// Load builds the configuration: defaults, the YAML file at path (if path
// is not empty), then environment overrides read through getenv, then the
// defaults of whatever the file left at zero (WithDefaults).
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("read config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && err.Error() != "EOF" {
			return cfg, fmt.Errorf("parse config %s: %w", path, err)
		}
	}
	if err := cfg.applyEnv(getenv); err != nil {
		return cfg, err
	}
	cfg = cfg.WithDefaults()
	return cfg, cfg.Validate()
}

func (c *Config) applyEnv(getenv func(string) string) error {
	setString := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	setString("USHER_LISTEN", &c.Listen)
	setString("USHER_DATABASE", &c.Database)
	setString("USHER_LOG_LEVEL", &c.LogLevel)
	setString("USHER_LOG_FORMAT", &c.LogFormat)
	setString("USHER_SCHEMA_DIR", &c.SchemaDir)
	if v := getenv("USHER_MAX_BODY_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("USHER_MAX_BODY_BYTES: %q is not a whole number of bytes", v)
		}
		c.MaxBodyBytes = n
	}
	for i := range c.Institutions {
		a := &c.Institutions[i].Auth
		if err := resolveSecret(&a.Secret, a.SecretEnv, a.SecretFile, getenv); err != nil {
			return fmt.Errorf("institution %s: %w", c.Institutions[i].Code, err)
		}
	}
	for i := range c.APIKeys {
		k := &c.APIKeys[i]
		if err := resolveSecret(&k.Secret, k.SecretEnv, k.SecretFile, getenv); err != nil {
			return fmt.Errorf("api key %s: %w", k.Name, err)
		}
	}
	if err := c.applySiteEnv(getenv); err != nil {
		return err
	}
	if err := c.Dashboard.applyEnv(getenv); err != nil {
		return err
	}
	if err := c.resolveCRMSecrets(getenv); err != nil {
		return err
	}
	if err := c.Analytics.applyEnv(getenv); err != nil {
		return err
	}
	if err := c.Metrics.applyEnv(getenv); err != nil {
		return err
	}
	c.TLS.applyEnv(getenv)
	c.applyProxiesEnv(getenv)
	if v := getenv("USHER_ADMIN_KEY"); v != "" {
		c.APIKeys = append(c.APIKeys, APIKey{Name: "admin (USHER_ADMIN_KEY)", Secret: v, Institutions: []string{"*"}})
	}
	return nil
}

// resolveSecret fills *secret from the environment variable env or the
// file path when it is empty.
func resolveSecret(secret *string, env, path string, getenv func(string) string) error {
	if *secret == "" && env != "" {
		*secret = getenv(env)
	}
	if *secret == "" && path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read secret_file: %w", err)
		}
		*secret = strings.TrimRight(string(data), "\r\n")
	}
	return nil
}

// Validate reports the first problem with the configuration, naming the
// setting to fix.
func (c Config) Validate() error {
	if c.Listen == "" {
		return fmt.Errorf("listen (USHER_LISTEN) must not be empty")
	}
	if !strings.HasPrefix(c.Database, "sqlite:") && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		return fmt.Errorf("database (USHER_DATABASE) must start with sqlite: or postgres://, got %q", redactDSN(c.Database))
	}
	if c.MaxBodyBytes < 1024 {
		return fmt.Errorf("max_body_bytes (USHER_MAX_BODY_BYTES) must be at least 1024, got %d", c.MaxBodyBytes)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log_level (USHER_LOG_LEVEL) must be debug, info, warn or error, got %q", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log_format (USHER_LOG_FORMAT) must be text or json, got %q", c.LogFormat)
	}
	seen := map[string]bool{}
	for i, inst := range c.Institutions {
		if err := inst.validate(); err != nil {
			return fmt.Errorf("institutions[%d]: %w", i, err)
		}
		if seen[inst.Code] {
			return fmt.Errorf("institutions[%d]: code %q appears twice", i, inst.Code)
		}
		seen[inst.Code] = true
	}
	if err := c.validateSite(); err != nil {
		return err
	}
	if err := c.validateCRM(); err != nil {
		return err
	}
	if err := c.Analytics.validate(); err != nil {
		return err
	}
	if err := c.Ingest.validate(); err != nil {
		return err
	}
	if err := c.validateRetention(); err != nil {
		return err
	}
	if err := c.Documents.validate(); err != nil {
		return err
	}
	for i, k := range c.APIKeys {
		if k.Name == "" || k.Secret == "" {
			return fmt.Errorf("api_keys[%d]: needs a name and a secret (secret, secret_env or secret_file)%s", i, secretHint(k.Secret, "secret", k.SecretEnv, k.SecretFile))
		}
		if len(k.Institutions) == 0 {
			return fmt.Errorf("api_keys[%d] (%s): list the institutions it may act on, or [\"*\"]", i, k.Name)
		}
		if err := checkSecretLen(fmt.Sprintf("api_keys[%d] (%s) secret", i, k.Name), k.Secret); err != nil {
			return err
		}
	}
	if err := c.Metrics.validate(); err != nil {
		return err
	}
	if err := c.validateProxies(); err != nil {
		return err
	}
	return c.TLS.validate()
}

func (inst Institution) validate() error {
	if !validCode(inst.Code) {
		return fmt.Errorf("code %q must be 1-64 letters, digits, '-' or '_'", inst.Code)
	}
	switch inst.Policy {
	case "", string(usher.PolicyQuarantine), string(usher.PolicyStrict):
	default:
		return fmt.Errorf("%s: policy must be quarantine or strict, got %q", inst.Code, inst.Policy)
	}
	a := inst.Auth
	switch a.Mode {
	case "":
		return fmt.Errorf("institution %s has no auth block: write auth: {mode: basic, username: ..., secret_env: ...}, "+
			"auth: {mode: apikey, secret_env: ...}, or auth: {mode: none} to accept pushes without credentials on purpose", inst.Code)
	case string(usher.AuthNone):
	case string(usher.AuthBasic):
		if a.Username == "" || a.Secret == "" {
			return fmt.Errorf("%s: basic auth needs username and a secret (secret, secret_env or secret_file)%s", inst.Code, secretHint(a.Secret, "secret", a.SecretEnv, a.SecretFile))
		}
		return checkSecretLen("institution "+inst.Code+" auth.secret", a.Secret)
	case string(usher.AuthAPIKey):
		if a.Secret == "" {
			return fmt.Errorf("%s: apikey auth needs a secret (secret, secret_env or secret_file)%s", inst.Code, secretHint(a.Secret, "secret", a.SecretEnv, a.SecretFile))
		}
		return checkSecretLen("institution "+inst.Code+" auth.secret", a.Secret)
	default:
		return fmt.Errorf("%s: auth mode must be none, basic or apikey, got %q", inst.Code, a.Mode)
	}
	return nil
}

// secretHint says where an empty secret was to come from, so the error
// names the environment variable or file to fix instead of leaving the
// operator to guess which one the service manager did not pass.
func secretHint(secret, field, env, file string) string {
	switch {
	case secret != "":
		return ""
	case env != "" && file != "":
		return fmt.Sprintf(": the environment variable %s (%s_env) is not set or empty, and the file %s (%s_file) is empty", env, field, file, field)
	case env != "":
		return fmt.Sprintf(": the environment variable %s (%s_env) is not set or empty", env, field)
	case file != "":
		return fmt.Sprintf(": the file %s (%s_file) is empty", file, field)
	}
	return ""
}

func validCode(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// DomainInstitutions converts the configured institutions to domain values.
func (c Config) DomainInstitutions() []usher.Institution {
	out := make([]usher.Institution, 0, len(c.Institutions))
	for _, inst := range c.Institutions {
		mode := usher.AuthMode(inst.Auth.Mode)
		if mode == "" {
			mode = usher.AuthNone
		}
		header := inst.Auth.Header
		if header == "" {
			header = "X-Api-Key"
		}
		policy := usher.Policy(inst.Policy)
		if policy == "" {
			policy = usher.PolicyQuarantine
		}
		out = append(out, usher.Institution{
			Code:   inst.Code,
			Policy: policy,
			Auth: usher.PushAuth{
				Mode:     mode,
				Username: inst.Auth.Username,
				Secret:   inst.Auth.Secret,
				Header:   header,
			},
		})
	}
	return out
}

// DomainAPIKeys converts the configured API keys to domain values.
func (c Config) DomainAPIKeys() []usher.APIKey {
	out := make([]usher.APIKey, 0, len(c.APIKeys))
	for _, k := range c.APIKeys {
		out = append(out, usher.APIKey{Name: k.Name, Secret: k.Secret, Institutions: k.Institutions})
	}
	return out
}

// Redacted returns a copy safe to print: secrets and database passwords
// are replaced.
func (c Config) Redacted() Config {
	out := c
	out.Database = redactDSN(c.Database)
	out.Institutions = append([]Institution(nil), c.Institutions...)
	for i := range out.Institutions {
		if out.Institutions[i].Auth.Secret != "" {
			out.Institutions[i].Auth.Secret = "REDACTED"
		}
	}
	out.redactCRM()
	out.APIKeys = append([]APIKey(nil), c.APIKeys...)
	for i := range out.APIKeys {
		out.APIKeys[i].Secret = "REDACTED"
	}
	out.redactSite()
	out.Metrics.Token = redact(out.Metrics.Token)
	return out
}

// YAML renders the configuration as YAML.
func (c Config) YAML() string {
	data, err := yaml.Marshal(c)
	if err != nil {
		return err.Error()
	}
	return string(data)
}

// redactDSN hides a password in a postgres URL.
func redactDSN(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return dsn
	}
	userinfo := dsn[scheme+3 : at]
	if colon := strings.Index(userinfo, ":"); colon >= 0 {
		return dsn[:scheme+3] + userinfo[:colon] + ":REDACTED" + dsn[at:]
	}
	return dsn
}
