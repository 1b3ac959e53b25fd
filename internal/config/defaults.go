package config

import (
	"time"

	"github.com/usher-hub/usher"
)

// Defaults of the outbox and the projector, the values a setting left out
// (or set to 0) gets.
const (
	DefaultOutboxWorkers   = 8
	DefaultPollInterval    = 500 * time.Millisecond
	DefaultLease           = 2 * time.Minute
	DefaultRetryBase       = 5 * time.Second
	DefaultRetryMax        = time.Hour
	DefaultRetention       = 7 * 24 * time.Hour
	DefaultEchoWindow      = 24 * time.Hour
	DefaultProjectInterval = time.Second
	DefaultProjectOrders   = 200
	DefaultProjectMaxLag   = 10 * time.Second
	DefaultLocale          = "en"
)

// Default returns the configuration used when nothing is set. It holds
// every default a file would get, so that a configuration built in code
// (usher demo, tests) behaves exactly like one loaded from an empty file:
// there is one source of defaults.
func Default() Config {
	return Config{
		Listen:       "127.0.0.1:8080",
		Database:     "sqlite:usher.db",
		MaxBodyBytes: DefaultMaxBodyBytes,
		LogLevel:     "info",
		LogFormat:    "text",
		Site:         DefaultSite(),
		Dashboard:    Dashboard{SessionTTL: DefaultSessionTTL},
		Outbox: Outbox{Workers: DefaultOutboxWorkers, PollInterval: DefaultPollInterval, Lease: DefaultLease,
			RetryBase: DefaultRetryBase, RetryMax: DefaultRetryMax, Retention: DefaultRetention, EchoWindow: DefaultEchoWindow},
		Analytics: Analytics{Locale: DefaultLocale, ProjectInterval: DefaultProjectInterval, ProjectOrders: DefaultProjectOrders, ProjectMaxLag: DefaultProjectMaxLag},
		Pruning:   Pruning{Interval: DefaultPruneInterval, BatchSize: DefaultPruneBatchSize},
	}
}

// WithDefaults returns c with every setting left at zero given its
// default: the top-level ones from Default (a file that writes
// `workers: 0` means the default, as documented), and those of each
// institution (policy, push header, CRM destinations, S-360 API). Load
// calls it; a configuration built in code calls it before Validate.
func (c Config) WithDefaults() Config {
	d := Default()
	fill(&c.Listen, d.Listen)
	fill(&c.Database, d.Database)
	fill(&c.MaxBodyBytes, d.MaxBodyBytes)
	fill(&c.LogLevel, d.LogLevel)
	fill(&c.LogFormat, d.LogFormat)
	fill(&c.Dashboard.SessionTTL, d.Dashboard.SessionTTL)
	fill(&c.Outbox.Workers, d.Outbox.Workers)
	fill(&c.Outbox.PollInterval, d.Outbox.PollInterval)
	fill(&c.Outbox.Lease, d.Outbox.Lease)
	fill(&c.Outbox.RetryBase, d.Outbox.RetryBase)
	fill(&c.Outbox.RetryMax, d.Outbox.RetryMax)
	fill(&c.Outbox.Retention, d.Outbox.Retention)
	fill(&c.Outbox.EchoWindow, d.Outbox.EchoWindow)
	fill(&c.Analytics.Locale, d.Analytics.Locale)
	fill(&c.Analytics.ProjectInterval, d.Analytics.ProjectInterval)
	fill(&c.Analytics.ProjectOrders, d.Analytics.ProjectOrders)
	fill(&c.Analytics.ProjectMaxLag, d.Analytics.ProjectMaxLag)
	fill(&c.Site.SyncInterval, d.Site.SyncInterval)
	fill(&c.Site.SyncDays, d.Site.SyncDays)
	fill(&c.Site.HoldTTL, d.Site.HoldTTL)
	fill(&c.Site.MemberSessionTTL, d.Site.MemberSessionTTL)
	fill(&c.Site.CheckoutLease, d.Site.CheckoutLease)
	fill(&c.Site.MaxBodyBytes, d.Site.MaxBodyBytes)
	fill(&c.Pruning.Interval, d.Pruning.Interval)
	fill(&c.Pruning.BatchSize, d.Pruning.BatchSize)
	c.Institutions = append([]Institution(nil), c.Institutions...)
	for i := range c.Institutions {
		c.Institutions[i] = c.Institutions[i].withDefaults()
	}
	return c
}

// withDefaults fills an institution's defaults. Its auth mode is left as
// written: a missing auth block is the operator's to fix, not ours to
// guess.
func (inst Institution) withDefaults() Institution {
	fill(&inst.Policy, string(usher.PolicyQuarantine))
	if inst.Auth.Mode == string(usher.AuthAPIKey) {
		fill(&inst.Auth.Header, "X-Api-Key")
	}
	inst.CRMDestinations = append([]CRMDestination(nil), inst.CRMDestinations...)
	for i := range inst.CRMDestinations {
		inst.CRMDestinations[i] = inst.CRMDestinations[i].WithDefaults()
	}
	if inst.S360API != nil {
		api := inst.S360API.WithDefaults(inst.Code)
		inst.S360API = &api
	}
	return inst
}

// fill sets *v to def when it is the zero value.
func fill[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}
