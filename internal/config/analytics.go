package config

import (
	"fmt"
	"time"
)

// Analytics configures the venue reports.
type Analytics struct {
	// Timezone is the venue's IANA time zone (Europe/Zurich). It decides
	// what "today" is for live occupancy and default report ranges; report
	// days themselves are the wall clock S-360 writes. Default: the
	// server's local zone. Env USHER_TIMEZONE.
	Timezone string `yaml:"timezone"`
	// Locale is how the dashboard writes numbers, money and dates: en
	// (default; 1,234.50 and 2026-12-07), en-GB, en-US, de, de-AT, de-CH,
	// de-DE, fr, fr-CH, fr-FR, it or it-CH. Env USHER_LOCALE.
	Locale string `yaml:"locale"`
	// ProjectInterval is the time between two batches of the projector,
	// which applies newly stored documents to the report rollups. Default
	// 1 s.
	ProjectInterval time.Duration `yaml:"project_interval"`
	// ProjectOrders bounds the order versions one batch applies (checks
	// and contacts go all at once on PostgreSQL, 500 at a time on SQLite,
	// where a batch holds the single writer). Default 200.
	ProjectOrders int `yaml:"project_orders"`
	// ProjectMaxLag is how far the reports may fall behind a burst of
	// pushes before the projector runs batches back to back instead of one
	// an interval: pushes come first. Default 10 s.
	ProjectMaxLag time.Duration `yaml:"project_max_lag"`
}

// Projector returns the projector's pace, defaults filled in.
func (a Analytics) Projector() (interval time.Duration, orders int, maxLag time.Duration) {
	interval, orders, maxLag = a.ProjectInterval, a.ProjectOrders, a.ProjectMaxLag
	if interval <= 0 {
		interval = time.Second
	}
	if orders <= 0 {
		orders = 200
	}
	if maxLag <= 0 {
		maxLag = 10 * time.Second
	}
	return interval, orders, maxLag
}

func (a *Analytics) applyEnv(getenv func(string) string) error {
	if v := getenv("USHER_TIMEZONE"); v != "" {
		a.Timezone = v
	}
	if v := getenv("USHER_LOCALE"); v != "" {
		a.Locale = v
	}
	return nil
}

func (a Analytics) validate() error {
	_, err := a.Location()
	return err
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
