package site

import (
	"context"
	"time"
)

// ProbeInterval is how often Centaman's Diagnostics is asked, while
// member sessions exist, whether Centaman answers: an outage ends the
// sessions within seconds, not at the next sync.
const ProbeInterval = 2 * time.Second

// ProbeTimeout bounds one Diagnostics call.
const ProbeTimeout = 3 * time.Second

// probe asks Centaman's unauthenticated Diagnostics whether it answers at
// all [CTM-OMAHA-MS: "No credentials are required"].
func (s *Service) probe(ctx context.Context, v *venue) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ProbeTimeout)
	defer cancel()
	return v.Client.Diagnostics(ctx)
}

// ProbeOnce probes each venue that has member sessions, or that is known
// unreachable (to notice it is back), and records what it learns.
func (s *Service) ProbeOnce(ctx context.Context) {
	for _, v := range s.venues {
		if !s.worthProbing(ctx, v) {
			continue
		}
		err := s.probe(ctx, v)
		s.setHealth(ctx, v, err)
	}
}

func (s *Service) worthProbing(ctx context.Context, v *venue) bool {
	v.mu.Lock()
	down := v.health.known && !v.health.reachable
	v.mu.Unlock()
	if down {
		return true
	}
	exists, err := s.store.MemberSessionsExist(ctx, v.Code, s.now())
	if err != nil {
		s.logger.WarnContext(ctx, "could not tell whether member sessions exist", "institution", v.Code, "err", err)
		return false
	}
	return exists
}

// RunProbes probes every interval until ctx ends.
func (s *Service) RunProbes(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.ProbeOnce(ctx)
		}
	}
}
