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
	// ProjectInterval is how often the projector applies newly stored
	// documents to the report rollups: reports lag ingest by about this
	// much. Default 1 s.
	ProjectInterval time.Duration `yaml:"project_interval"`
	// ProjectOrders bounds the orders one projection applies (checks and
	// contacts are applied all at once); while more are queued the
	// projector goes on at once. Default 200: on SQLite a projection
	// holds the single writer, so pushes wait for it.
	ProjectOrders int `yaml:"project_orders"`
}

// Projector returns the projector's interval and order batch, defaults
// filled in.
func (a Analytics) Projector() (time.Duration, int) {
	interval, orders := a.ProjectInterval, a.ProjectOrders
	if interval <= 0 {
		interval = time.Second
	}
	if orders <= 0 {
		orders = 200
	}
	return interval, orders
}

func (a *Analytics) applyEnv(getenv func(string) string) error {
	if v := getenv("USHER_TIMEZONE"); v != "" {
		a.Timezone = v
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
