package main

import (
	"context"
	"sync"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/web"
)

// loadSampleEvery is how often the Load page's backlog is sampled, and
// loadSamples how many samples it keeps per institution (an hour).
const (
	loadSampleEvery = 30 * time.Second
	loadSamples     = 120
)

// loadSource feeds the dashboard's Load page: the planner over the
// shared outbox, and backlog samples taken every loadSampleEvery.
type loadSource struct {
	a *app

	mu      sync.Mutex
	samples map[string][]web.BacklogSample
}

// wireLoad returns the Load page's source, sampling until the app
// closes; nil when no institution has an S-360 API.
func wireLoad(a *app) web.LoadSource {
	has := false
	for _, inst := range a.cfg.Institutions {
		has = has || inst.S360API != nil
	}
	if !has {
		return nil
	}
	l := &loadSource{a: a, samples: map[string][]web.BacklogSample{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(loadSampleEvery)
		defer t.Stop()
		for {
			for _, inst := range a.cfg.Institutions {
				if inst.S360API != nil {
					_, _ = l.sample(ctx, inst.Code)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	a.closers = append(a.closers, func() error {
		cancel()
		<-done
		return nil
	})
	return l
}

// Plan implements web.LoadSource.
func (l *loadSource) Plan(ctx context.Context, inst string, req usher.LoadRequest) (usher.LoadPlan, error) {
	p, err := planLoad(ctx, l.a.cfg, l.a.store, inst, req, time.Now())
	if err != nil {
		return p, usher.Errorf(usher.ENOTFOUND, "institution %q has no S-360 API to plan a load for", inst)
	}
	return p, nil
}

// Backlog implements web.LoadSource: the samples kept and one taken now.
func (l *loadSource) Backlog(ctx context.Context, inst string) ([]web.BacklogSample, error) {
	return l.sample(ctx, inst)
}

func (l *loadSource) sample(ctx context.Context, inst string) ([]web.BacklogSample, error) {
	counts, err := l.a.store.CountJobs(ctx)
	if err != nil {
		return nil, err
	}
	s := web.BacklogSample{At: time.Now()}
	for _, c := range counts {
		if c.Institution != inst {
			continue
		}
		open := c.State == usher.JobQueued || c.State == usher.JobInFlight
		switch {
		case c.Kind == usher.KindCRMDelivery && open:
			s.CRM += c.Count
		case c.Kind == usher.KindCRMDelivery && c.State == usher.JobDone:
			s.CRMDone += c.Count
		case open:
			s.S360 += c.Count
		case c.State == usher.JobDone:
			s.S360Done += c.Count
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	list := append(l.samples[inst], s)
	if len(list) > loadSamples {
		list = list[len(list)-loadSamples:]
	}
	l.samples[inst] = list
	return append([]web.BacklogSample(nil), list...), nil
}
