package config

import (
	"fmt"
	"time"
)

// Dashboard configures the venue dashboard served at / (internal/web).
type Dashboard struct {
	// SessionSecret signs the dashboard's session cookies (HMAC-SHA256); at
	// least 32 bytes. Read like other secrets: session_secret, else
	// session_secret_env, else session_secret_file; env
	// USHER_DASHBOARD_SESSION_SECRET overrides all three. When it is empty
	// a random secret is made at start, so sessions end at every restart.
	SessionSecret     string `yaml:"session_secret"`
	SessionSecretEnv  string `yaml:"session_secret_env"`
	SessionSecretFile string `yaml:"session_secret_file"`
	// SessionTTL is how long a login lasts. Default 8h (a working day),
	// between 5m and 168h. Env USHER_DASHBOARD_SESSION_TTL.
	SessionTTL time.Duration `yaml:"session_ttl"`
}

// Dashboard session bounds.
const (
	DefaultSessionTTL   = 8 * time.Hour
	MinSessionTTL       = 5 * time.Minute
	MaxSessionTTL       = 7 * 24 * time.Hour
	MinSessionSecretLen = 32
)

// applyEnv resolves the dashboard's secret and defaults, then checks them:
// a short secret would let a session cookie be forged by brute force.
func (d *Dashboard) applyEnv(getenv func(string) string) error {
	if v := getenv("USHER_DASHBOARD_SESSION_SECRET"); v != "" {
		d.SessionSecret = v
	}
	if err := resolveSecret(&d.SessionSecret, d.SessionSecretEnv, d.SessionSecretFile, getenv); err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	if v := getenv("USHER_DASHBOARD_SESSION_TTL"); v != "" {
		ttl, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("USHER_DASHBOARD_SESSION_TTL: %q is not a duration like 8h", v)
		}
		d.SessionTTL = ttl
	}
	if d.SessionTTL == 0 {
		d.SessionTTL = DefaultSessionTTL
	}
	if d.SessionTTL < MinSessionTTL || d.SessionTTL > MaxSessionTTL {
		return fmt.Errorf("dashboard.session_ttl (USHER_DASHBOARD_SESSION_TTL) must be between %s and %s, got %s", MinSessionTTL, MaxSessionTTL, d.SessionTTL)
	}
	if d.SessionSecret != "" && len(d.SessionSecret) < MinSessionSecretLen {
		return fmt.Errorf("dashboard.session_secret must be at least %d bytes (try `openssl rand -hex 32`), got %d", MinSessionSecretLen, len(d.SessionSecret))
	}
	return nil
}

// redactedDashboard has Dashboard's fields without its YAML method, so
// MarshalYAML can return it without calling itself.
type redactedDashboard Dashboard

// MarshalYAML writes the dashboard settings with the session secret
// replaced: printing the configuration must never leak it.
func (d Dashboard) MarshalYAML() (any, error) {
	out := redactedDashboard(d)
	if out.SessionSecret != "" {
		out.SessionSecret = "REDACTED"
	}
	return out, nil
}
