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
