package config

import (
	"fmt"
	"time"
)

// Analytics configures the venue reports and the dashboard.
type Analytics struct {
	// Timezone is the venue's IANA time zone (Europe/Zurich). It decides
	// what "today" is for live occupancy and default report ranges; report
	// days themselves are the wall clock S-360 writes. Default: the
	// server's local zone. Env USHER_TIMEZONE.
	Timezone string `yaml:"timezone"`
	// SessionSecret signs dashboard session cookies; at least 32 bytes.
	// Taken from session_secret, else session_secret_env, else
	// session_secret_file. When none is set a random secret is made at
	// start, so logins end at restart and do not carry across replicas.
	// Env USHER_SESSION_SECRET.
	SessionSecret     string `yaml:"session_secret"`
	SessionSecretEnv  string `yaml:"session_secret_env"`
	SessionSecretFile string `yaml:"session_secret_file"`
	// SessionTTL is how long a dashboard login lasts. Default 12h.
	SessionTTL time.Duration `yaml:"session_ttl"`
	// SecureCookies marks the session cookie Secure. Set it when users
	// reach usher over HTTPS through a proxy; usher itself serves HTTP.
	SecureCookies bool `yaml:"secure_cookies"`
}

// DefaultSessionTTL is how long a dashboard login lasts by default: a
// working day, so a venue manager logs in once a day.
const DefaultSessionTTL = 12 * time.Hour

func (a *Analytics) applyEnv(getenv func(string) string) error {
	if v := getenv("USHER_TIMEZONE"); v != "" {
		a.Timezone = v
	}
	if v := getenv("USHER_SESSION_SECRET"); v != "" {
		a.SessionSecret = v
	}
	if err := resolveSecret(&a.SessionSecret, a.SessionSecretEnv, a.SessionSecretFile, getenv); err != nil {
		return fmt.Errorf("analytics.session_secret: %w", err)
	}
	return nil
}

func (a Analytics) validate() error {
	if _, err := a.Location(); err != nil {
		return err
	}
	if a.SessionSecret != "" && len(a.SessionSecret) < 32 {
		return fmt.Errorf("analytics.session_secret (USHER_SESSION_SECRET) must be at least 32 bytes, got %d", len(a.SessionSecret))
	}
	if a.SessionTTL < time.Minute {
		return fmt.Errorf("analytics.session_ttl must be at least 1m, got %s", a.SessionTTL)
	}
	return nil
}

// Location returns the venue's time zone.
func (a Analytics) Location() (*time.Location, error) {
	if a.Timezone == "" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(a.Timezone)
	if err != nil {
		return nil, fmt.Errorf("analytics.timezone (USHER_TIMEZONE) %q is not an IANA time zone such as Europe/Zurich", a.Timezone)
	}
	return loc, nil
}

func (a Analytics) redacted() Analytics {
	if a.SessionSecret != "" {
		a.SessionSecret = "REDACTED"
	}
	return a
}
