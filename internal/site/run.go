package site

import (
	"context"
	"time"
)

// SweepInterval is how often expired holds are let go and pending
// e-tickets retried, between syncs.
const SweepInterval = 30 * time.Second

// Run keeps each institution's copy fresh every syncInterval, lets
// expired holds go and retries e-tickets every SweepInterval, and probes
// Centaman every ProbeInterval while members are signed in, until ctx
// ends. It syncs once at the start, so a new server fills its copy at once.
func (s *Service) Run(ctx context.Context, syncInterval time.Duration) {
	probes := make(chan struct{})
	go func() {
		defer close(probes)
		s.RunProbes(ctx, ProbeInterval)
	}()
	defer func() { <-probes }()
	s.syncAll(ctx)
	syncs := time.NewTicker(syncInterval)
	defer syncs.Stop()
	sweeps := time.NewTicker(SweepInterval)
	defer sweeps.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-syncs.C:
			s.syncAll(ctx)
		case <-sweeps.C:
			s.Sweep(ctx)
		}
	}
}

func (s *Service) syncAll(ctx context.Context) {
	for code := range s.venues {
		if res, err := s.Sync(ctx, code); err != nil {
			s.logger.WarnContext(ctx, "sync of the local copy failed; reads keep the last copy", "institution", code, "err", err)
		} else {
			s.logger.DebugContext(ctx, "local copy synced", "institution", code, "sessions", res.Sessions,
				"price_lists", res.PriceLists, "membership_types", res.MembershipTypes, "members", res.Members)
		}
	}
	s.Sweep(ctx)
}

// Sweep lets expired holds go and retries pending e-tickets.
func (s *Service) Sweep(ctx context.Context) {
	if n, err := s.ExpireHolds(ctx); err != nil {
		s.logger.WarnContext(ctx, "expiring holds failed", "err", err)
	} else if n > 0 {
		s.logger.InfoContext(ctx, "holds expired", "holds", n)
	}
	if n, err := s.RetryEmails(ctx); err != nil {
		s.logger.WarnContext(ctx, "retrying e-tickets failed", "err", err)
	} else if n > 0 {
		s.logger.InfoContext(ctx, "pending e-tickets sent", "messages", n)
	}
}
