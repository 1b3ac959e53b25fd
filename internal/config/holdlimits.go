package config

import (
	"fmt"
	"time"
)

// HoldLimits bound what website visitors can hold (site.hold_limits);
// zero means the default, stated in docs/security.md.
type HoldLimits struct {
	// MaxTicketsPerVisitor: tickets one visitor holds at once. Default 40.
	MaxTicketsPerVisitor int `yaml:"max_tickets_per_visitor"`
	// MaxTicketsPerAddress: tickets held at once from one client address
	// through the storefront. Default 40.
	MaxTicketsPerAddress int `yaml:"max_tickets_per_address"`
	// NewHoldsPerAddress new holds from one client address through the
	// storefront per NewHoldsWindow. Default 10 per 10m.
	NewHoldsPerAddress int           `yaml:"new_holds_per_address"`
	NewHoldsWindow     time.Duration `yaml:"new_holds_window"`
	// MaxLifetime: how long after its creation a hold may run, renewals
	// included. Default 1h.
	MaxLifetime time.Duration `yaml:"max_lifetime"`
}

func (h HoldLimits) validate(holdTTL time.Duration) error {
	if h.MaxTicketsPerVisitor < 0 || h.MaxTicketsPerAddress < 0 || h.NewHoldsPerAddress < 0 || h.NewHoldsWindow < 0 {
		return fmt.Errorf("site.hold_limits: limits must be positive (or 0 for the default)")
	}
	if h.MaxLifetime != 0 && h.MaxLifetime < holdTTL {
		return fmt.Errorf("site.hold_limits.max_lifetime (%s) must be at least site.hold_ttl (%s)", h.MaxLifetime, holdTTL)
	}
	return nil
}
