package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/usher-hub/usher"
)

// CRMDestination is a CRM endpoint that receives an institution's S-360
// contacts and orders, signed the Standard Webhooks way.
//
//	crm_destinations:
//	  - name: extcrm
//	    url: https://crm.example.org/s360/{stream}/{institution}
//	    streams: [contacts, orders]
//	    signing_secret_env: EXTCRM_WHSEC   # whsec_… (base64) or any string
//	    auth: {mode: bearer, secret_env: EXTCRM_TOKEN}
type CRMDestination struct {
	// Name identifies the destination in jobs and logs; it must stay
	// stable while deliveries to it are queued.
	Name string `yaml:"name"`
	// URL receives the POSTs; {institution} and {stream} are replaced.
	URL string `yaml:"url"`
	// Streams delivered: contacts, orders (S-360) and centaman.booking
	// (the website layer's bookings). Default contacts and orders.
	Streams []string `yaml:"streams"`
	// Auth is how usher authenticates to the CRM: none (default), basic,
	// apikey (header + secret) or bearer.
	Auth Auth `yaml:"auth"`
	// SigningSecret keys the webhook-signature HMAC; a whsec_ prefix means
	// base64 key bytes, as Standard Webhooks libraries generate them.
	SigningSecret     string `yaml:"signing_secret"`
	SigningSecretEnv  string `yaml:"signing_secret_env"`
	SigningSecretFile string `yaml:"signing_secret_file"`
	// Format is s360 (default: a JSON array holding the document, as
	// S-360's own webhook posts it) or envelope ({type, timestamp, data}).
	Format string `yaml:"format"`
	// Timeout bounds one delivery. Default 15 s.
	Timeout time.Duration `yaml:"timeout"`
	// MaxAttempts before the dead letter. Default 15 (about nine hours).
	MaxAttempts int `yaml:"max_attempts"`
}

// The rate modes of s360_api.rate_mode.
const (
	RateModeInstance = "instance"
	RateModeEndpoint = "endpoint"
)

// S360API is an institution's S-360 REST API, which CRM writes go to.
type S360API struct {
	// BaseURL is https://<institution>.ws.secutix.com (or a simulator).
	BaseURL string `yaml:"base_url"`
	// Institution is the code S-360 knows the instance by (the token's
	// subject). Default: the institution's code in upper case.
	Institution string `yaml:"institution"`
	// Operator and Partner are the token's audience and issuer.
	Operator string `yaml:"operator"`
	Partner  string `yaml:"partner"`
	// Secret signs the HS256 tokens: secret, secret_env or secret_file.
	Secret     string `yaml:"secret"`
	SecretEnv  string `yaml:"secret_env"`
	SecretFile string `yaml:"secret_file"`
	// RateMode is which of S-360's published budgets applies: instance
	// (default: RateLimit calls per RateWindow for all endpoints together,
	// 180 a minute) or endpoint (the older rule: RateLimit per RateWindow
	// for each service, 60 a minute by default).
	RateMode string `yaml:"rate_mode"`
	// RateLimit calls per RateWindow is the budget, shared by every
	// replica. Default 180 a minute (instance) or 60 (endpoint). A refusal
	// for the rate limit (509 or 429) pauses it for RateWindow: S-360
	// documents no Retry-After.
	RateLimit  int           `yaml:"rate_limit"`
	RateWindow time.Duration `yaml:"rate_window"`
	// RateHeadroom is the share of the budget left unused. Default 0.05.
	RateHeadroom float64 `yaml:"rate_headroom"`
	// Timeout bounds one call. Default 15 s.
	Timeout time.Duration `yaml:"timeout"`
	// MaxAttempts before a write goes to the dead letter. Default 15.
	MaxAttempts int `yaml:"max_attempts"`
	// PointOfSalesID is the point of sales bookings are created at
	// (createOrUpdateOrder's mandatory pointOfSalesId); bookings fail
	// without it.
	PointOfSalesID int64 `yaml:"point_of_sales_id"`
	// ContactBatch is the most new contacts one createCulturalContact call
	// carries. Default 50 (docs/crm.md says why).
	ContactBatch int `yaml:"contact_batch"`
	// ImportReserve is the share of the rate budget bulk imports leave to
	// interactive work (the website's and the CRM's live writes): imports
	// spend at most 1-ImportReserve of it, live writes may use all of it.
	// Default 0.2.
	ImportReserve float64 `yaml:"import_reserve"`
	// CircuitFailures in a row open the breaker for CircuitCooldown.
	// Defaults 5 and 30 s.
	CircuitFailures int           `yaml:"circuit_failures"`
	CircuitCooldown time.Duration `yaml:"circuit_cooldown"`
}

// Outbox tunes the workers that run the outbox.
type Outbox struct {
	// Workers is how many jobs run at once in this process; 0 means the
	// default, 8; -1 runs no worker here (another process does).
	Workers int `yaml:"workers"`
	// PollInterval is how often idle workers look for due jobs. Default 500 ms.
	PollInterval time.Duration `yaml:"poll_interval"`
	// Lease is how long a claimed job is held. Default 2 min.
	Lease time.Duration `yaml:"lease"`
	// RetryBase and RetryMax shape the backoff. Defaults 5 s and 1 h.
	RetryBase time.Duration `yaml:"retry_base"`
	RetryMax  time.Duration `yaml:"retry_max"`
	// Retention is how long done jobs are kept. Default 168 h.
	Retention time.Duration `yaml:"retention"`
	// EchoWindow is how long a write to S-360 waits for its echo. Default 24 h.
	EchoWindow time.Duration `yaml:"echo_window"`
}

// resolveCRMSecrets fills the CRM secrets given by env or file.
func (c *Config) resolveCRMSecrets(getenv func(string) string) error {
	for i := range c.Institutions {
		inst := &c.Institutions[i]
		for j := range inst.CRMDestinations {
			d := &inst.CRMDestinations[j]
			if err := resolveSecret(&d.SigningSecret, d.SigningSecretEnv, d.SigningSecretFile, getenv); err != nil {
				return fmt.Errorf("institution %s: crm destination %s: signing secret: %w", inst.Code, d.Name, err)
			}
			if err := resolveSecret(&d.Auth.Secret, d.Auth.SecretEnv, d.Auth.SecretFile, getenv); err != nil {
				return fmt.Errorf("institution %s: crm destination %s: auth: %w", inst.Code, d.Name, err)
			}
		}
		if api := inst.S360API; api != nil {
			if err := resolveSecret(&api.Secret, api.SecretEnv, api.SecretFile, getenv); err != nil {
				return fmt.Errorf("institution %s: s360_api: %w", inst.Code, err)
			}
		}
	}
	return nil
}

// validateCRM checks the CRM settings of every institution.
func (c Config) validateCRM() error {
	for _, inst := range c.Institutions {
		names := map[string]bool{}
		for i, d := range inst.CRMDestinations {
			if err := d.validate(); err != nil {
				return fmt.Errorf("institutions[%s].crm_destinations[%d]: %w", inst.Code, i, err)
			}
			if names[d.Name] {
				return fmt.Errorf("institutions[%s].crm_destinations: name %q appears twice", inst.Code, d.Name)
			}
			names[d.Name] = true
		}
		if inst.S360API != nil {
			if err := inst.S360API.validate(); err != nil {
				return fmt.Errorf("institutions[%s].s360_api: %w", inst.Code, err)
			}
		}
	}
	if c.Outbox.Workers < -1 {
		return fmt.Errorf("outbox.workers must be -1 (none), 0 (default) or more, got %d", c.Outbox.Workers)
	}
	return nil
}

func (d CRMDestination) validate() error {
	if !validCode(d.Name) {
		return fmt.Errorf("name %q must be 1-64 letters, digits, '-' or '_'", d.Name)
	}
	if err := httpURL(d.URL); err != nil {
		return fmt.Errorf("%s: url: %w", d.Name, err)
	}
	for _, s := range d.Streams {
		if s != string(usher.StreamContacts) && s != string(usher.StreamOrders) && s != string(usher.StreamCentamanBooking) {
			return fmt.Errorf("%s: streams may hold contacts, orders and %s (website bookings), not %q", d.Name, usher.StreamCentamanBooking, s)
		}
	}
	if d.SigningSecret == "" {
		return fmt.Errorf("%s: needs a signing secret (signing_secret, signing_secret_env or signing_secret_file) so the CRM can verify deliveries%s", d.Name, secretHint("", "signing_secret", d.SigningSecretEnv, d.SigningSecretFile))
	}
	switch d.Auth.Mode {
	case "", string(usher.AuthNone), "bearer", string(usher.AuthAPIKey):
		if d.Auth.Mode != "" && d.Auth.Mode != string(usher.AuthNone) && d.Auth.Secret == "" {
			return fmt.Errorf("%s: auth mode %s needs a secret%s", d.Name, d.Auth.Mode, secretHint("", "secret", d.Auth.SecretEnv, d.Auth.SecretFile))
		}
	case string(usher.AuthBasic):
		if d.Auth.Username == "" || d.Auth.Secret == "" {
			return fmt.Errorf("%s: basic auth needs username and a secret%s", d.Name, secretHint(d.Auth.Secret, "secret", d.Auth.SecretEnv, d.Auth.SecretFile))
		}
	default:
		return fmt.Errorf("%s: auth mode must be none, basic, apikey or bearer, got %q", d.Name, d.Auth.Mode)
	}
	if d.Format != "" && d.Format != "s360" && d.Format != "envelope" {
		return fmt.Errorf("%s: format must be s360 or envelope, got %q", d.Name, d.Format)
	}
	if d.Timeout < 0 || d.MaxAttempts < 0 {
		return fmt.Errorf("%s: timeout and max_attempts must not be negative", d.Name)
	}
	return nil
}

func (a S360API) validate() error {
	if err := httpURL(a.BaseURL); err != nil {
		return fmt.Errorf("base_url: %w", err)
	}
	if a.Operator == "" || a.Partner == "" || a.Secret == "" {
		return fmt.Errorf("needs operator, partner and a secret (secret, secret_env or secret_file)%s", secretHint(a.Secret, "secret", a.SecretEnv, a.SecretFile))
	}
	if a.RateLimit < 0 || a.RateWindow < 0 || a.RateHeadroom < 0 || a.RateHeadroom >= 0.5 {
		return fmt.Errorf("rate_limit and rate_window must not be negative, rate_headroom must be in [0, 0.5)")
	}
	if a.RateMode != "" && a.RateMode != RateModeInstance && a.RateMode != RateModeEndpoint {
		return fmt.Errorf("rate_mode must be instance or endpoint, got %q", a.RateMode)
	}
	if a.ImportReserve < 0 || a.ImportReserve > 0.9 {
		return fmt.Errorf("import_reserve must be in [0, 0.9] (the share of the budget kept for live writes), got %v", a.ImportReserve)
	}
	if a.PointOfSalesID < 0 || a.ContactBatch < 0 || a.ContactBatch > 500 {
		return fmt.Errorf("point_of_sales_id must not be negative and contact_batch must be 0-500")
	}
	if a.Timeout < 0 || a.MaxAttempts < 0 || a.CircuitFailures < 0 || a.CircuitCooldown < 0 {
		return fmt.Errorf("timeout, max_attempts and circuit settings must not be negative")
	}
	return nil
}

func httpURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

// redactCRM replaces CRM secrets in a copy made by Redacted.
func (c *Config) redactCRM() {
	for i := range c.Institutions {
		inst := &c.Institutions[i]
		inst.CRMDestinations = slices.Clone(inst.CRMDestinations)
		for j := range inst.CRMDestinations {
			d := &inst.CRMDestinations[j]
			d.SigningSecret = redact(d.SigningSecret)
			d.Auth.Secret = redact(d.Auth.Secret)
		}
		if inst.S360API != nil {
			api := *inst.S360API
			api.Secret = redact(api.Secret)
			inst.S360API = &api
		}
	}
}

func redact(s string) string {
	if s == "" {
		return ""
	}
	return "REDACTED"
}

// WithDefaults returns d with its defaults filled in.
func (d CRMDestination) WithDefaults() CRMDestination {
	if len(d.Streams) == 0 {
		d.Streams = []string{string(usher.StreamContacts), string(usher.StreamOrders)}
	}
	if d.Format == "" {
		d.Format = "s360"
	}
	if d.Timeout == 0 {
		d.Timeout = 15 * time.Second
	}
	if d.MaxAttempts == 0 {
		d.MaxAttempts = usher.DefaultMaxAttempts
	}
	if d.Auth.Mode == "" {
		d.Auth.Mode = string(usher.AuthNone)
	}
	if d.Auth.Mode == string(usher.AuthAPIKey) && d.Auth.Header == "" {
		d.Auth.Header = "X-Api-Key"
	}
	return d
}

// WithDefaults returns a with its defaults filled in for institution code.
func (a S360API) WithDefaults(code string) S360API {
	if a.Institution == "" {
		a.Institution = strings.ToUpper(code)
	}
	if a.RateMode == "" {
		a.RateMode = RateModeInstance
	}
	if a.RateLimit == 0 {
		a.RateLimit = 180
		if a.RateMode == RateModeEndpoint {
			a.RateLimit = 60
		}
	}
	if a.ContactBatch == 0 {
		a.ContactBatch = 50
	}
	if a.ImportReserve == 0 {
		a.ImportReserve = 0.2
	}
	if a.RateWindow == 0 {
		a.RateWindow = time.Minute
	}
	if a.RateHeadroom == 0 {
		a.RateHeadroom = 0.05
	}
	if a.Timeout == 0 {
		a.Timeout = 15 * time.Second
	}
	if a.MaxAttempts == 0 {
		a.MaxAttempts = usher.DefaultMaxAttempts
	}
	if a.CircuitFailures == 0 {
		a.CircuitFailures = 5
	}
	if a.CircuitCooldown == 0 {
		a.CircuitCooldown = 30 * time.Second
	}
	return a
}

// CRMRoutes returns the delivery routes of every institution's
// destinations.
func (c Config) CRMRoutes() []usher.DeliveryRoute {
	var out []usher.DeliveryRoute
	for _, inst := range c.Institutions {
		for _, d := range inst.CRMDestinations {
			d = d.WithDefaults()
			for _, s := range d.Streams {
				out = append(out, usher.DeliveryRoute{Institution: inst.Code, Stream: usher.Stream(s), Destination: d.Name, MaxAttempts: d.MaxAttempts})
			}
		}
	}
	return out
}
