package config

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Site configures the website layer (docs/website.md).
type Site struct {
	// SyncInterval is how often the local copy of Centaman is refreshed.
	// Default 5m. Env USHER_SITE_SYNC_INTERVAL.
	SyncInterval time.Duration `yaml:"sync_interval"`
	// SyncDays is how many days of sessions, from today, are copied.
	// Default 14.
	SyncDays int `yaml:"sync_days"`
	// HoldTTL is how long a website hold lasts. Default 15m; it must be
	// shorter than each institution's centaman.hold_ttl.
	HoldTTL time.Duration `yaml:"hold_ttl"`
	// MemberSessionTTL is how long a member stays signed in. Default 30m.
	MemberSessionTTL time.Duration `yaml:"member_session_ttl"`
	// CheckoutLease is how long one checkout attempt may take before a
	// retry may take it over. Default 2m.
	CheckoutLease time.Duration `yaml:"checkout_lease"`
	// Storefront serves the reference storefront at /storefront/{code}/
	// for every institution with Centaman. Default false.
	// Env USHER_SITE_STOREFRONT (true/false).
	Storefront bool `yaml:"storefront"`
	// MaxBodyBytes bounds a website API request body. Default 64 KiB.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// HoldLimits bound what visitors can hold (holdlimits.go).
	HoldLimits HoldLimits `yaml:"hold_limits"`
}

// Mail configures the SMTP relay e-tickets go through.
type Mail struct {
	// SMTPAddr is host:port of the relay; no e-tickets are sent when empty.
	// Env USHER_SMTP_ADDR.
	SMTPAddr string `yaml:"smtp_addr"`
	// From is the sender, such as "Museum <tickets@museum.example>".
	// Env USHER_MAIL_FROM.
	From         string `yaml:"from"`
	Username     string `yaml:"username"`
	Password     string `yaml:"password"`
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`
}

// Centaman configures an institution's Centaman API; the website layer
// serves only institutions that have it.
type Centaman struct {
	// URL is the API root, such as https://host/CENTAMAN.API.
	URL      string `yaml:"url"`
	Username string `yaml:"username"`
	// Password is read from password, else the environment variable
	// password_env, else the file password_file.
	Password     string `yaml:"password"`
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`
	// Timeout bounds one call to Centaman. Default 15s.
	Timeout time.Duration `yaml:"timeout"`
	// HoldTTL is how long this Centaman keeps a hold (the venue's
	// setting). Default 20m.
	HoldTTL time.Duration `yaml:"hold_ttl"`
	// VenueName is shown on the storefront and in e-tickets; the code when
	// empty.
	VenueName string `yaml:"venue_name"`
}

// DefaultSite returns the website layer's defaults.
func DefaultSite() Site {
	return Site{
		SyncInterval: 5 * time.Minute, SyncDays: 14, HoldTTL: 15 * time.Minute,
		MemberSessionTTL: 30 * time.Minute, CheckoutLease: 2 * time.Minute, MaxBodyBytes: 64 << 10,
	}
}

func (c *Config) applySiteEnv(getenv func(string) string) error {
	if v := getenv("USHER_SITE_SYNC_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("USHER_SITE_SYNC_INTERVAL: %q is not a duration such as 5m", v)
		}
		c.Site.SyncInterval = d
	}
	if v := getenv("USHER_SITE_STOREFRONT"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("USHER_SITE_STOREFRONT: %q is not true or false", v)
		}
		c.Site.Storefront = b
	}
	if v := getenv("USHER_SMTP_ADDR"); v != "" {
		c.Mail.SMTPAddr = v
	}
	if v := getenv("USHER_MAIL_FROM"); v != "" {
		c.Mail.From = v
	}
	if err := resolveSecret(&c.Mail.Password, c.Mail.PasswordEnv, c.Mail.PasswordFile, getenv); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	for i := range c.Institutions {
		if cm := c.Institutions[i].Centaman; cm != nil {
			if err := resolveSecret(&cm.Password, cm.PasswordEnv, cm.PasswordFile, getenv); err != nil {
				return fmt.Errorf("institution %s: centaman: %w", c.Institutions[i].Code, err)
			}
		}
	}
	return nil
}

func (c Config) validateSite() error {
	s := c.Site
	switch {
	case s.SyncInterval < 10*time.Second:
		return fmt.Errorf("site.sync_interval (USHER_SITE_SYNC_INTERVAL) must be at least 10s, got %s", s.SyncInterval)
	case s.SyncDays < 1 || s.SyncDays > 366:
		return fmt.Errorf("site.sync_days must be 1 to 366, got %d", s.SyncDays)
	case s.HoldTTL < time.Minute:
		return fmt.Errorf("site.hold_ttl must be at least 1m, got %s", s.HoldTTL)
	case s.MemberSessionTTL < time.Minute:
		return fmt.Errorf("site.member_session_ttl must be at least 1m, got %s", s.MemberSessionTTL)
	case s.CheckoutLease < 10*time.Second:
		return fmt.Errorf("site.checkout_lease must be at least 10s, got %s", s.CheckoutLease)
	case s.MaxBodyBytes < 1024:
		return fmt.Errorf("site.max_body_bytes must be at least 1024, got %d", s.MaxBodyBytes)
	}
	if err := s.HoldLimits.validate(s.HoldTTL); err != nil {
		return err
	}
	for _, inst := range c.Institutions {
		if err := inst.Centaman.validate(inst.Code, s); err != nil {
			return err
		}
	}
	return nil
}

func (cm *Centaman) validate(code string, s Site) error {
	if cm == nil {
		return nil
	}
	u, err := url.Parse(cm.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("institutions %s: centaman.url must be an http(s) URL, got %q", code, cm.URL)
	}
	if cm.Username == "" || cm.Password == "" {
		return fmt.Errorf("institutions %s: centaman needs username and a password (password, password_env or password_file)%s", code, secretHint(cm.Password, "password", cm.PasswordEnv, cm.PasswordFile))
	}
	if cm.CentamanHoldTTL() <= s.HoldTTL {
		return fmt.Errorf("institutions %s: centaman.hold_ttl (%s) must be longer than site.hold_ttl (%s), or usher would release holds Centaman already dropped",
			code, cm.CentamanHoldTTL(), s.HoldTTL)
	}
	if cm.Timeout < 0 {
		return fmt.Errorf("institutions %s: centaman.timeout must not be negative", code)
	}
	return nil
}

// redactSite hides the SMTP and Centaman passwords; Centaman settings are
// copied so the original keeps its secrets.
func (c *Config) redactSite() {
	if c.Mail.Password != "" {
		c.Mail.Password = "REDACTED"
	}
	for i := range c.Institutions {
		if cm := c.Institutions[i].Centaman; cm != nil {
			copied := *cm
			if copied.Password != "" {
				copied.Password = "REDACTED"
			}
			c.Institutions[i].Centaman = &copied
		}
	}
}

// CentamanHoldTTL returns the institution's Centaman hold time, 20m when
// unset.
func (cm Centaman) CentamanHoldTTL() time.Duration {
	if cm.HoldTTL > 0 {
		return cm.HoldTTL
	}
	return 20 * time.Minute
}
