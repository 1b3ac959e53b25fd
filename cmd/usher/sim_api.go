package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/sim/s360"
	"github.com/usher-hub/usher/internal/sim/s360api"
)

// s360APISecretEnv names the variable holding the operator secret that
// signs API tokens for `usher sim s360 --api-listen`: usher's s360_api
// block must hold the same secret.
const s360APISecretEnv = "S360_API_SECRET"

// startS360API serves S-360's Contact API and order API for institution on
// addr (`usher sim s360 --api-listen`, and in `usher demo`), as S-360
// documents them (180 calls a minute, 509 without Retry-After, no
// idempotency header), so the CRM write path can be rehearsed. venue, when not nil, is the push
// simulator's venue: contacts and closed sales written through the API
// are pushed back at its next run, closing the echo loop.
func startS360API(_ context.Context, addr, institution string, getenv func(string) string, logger *slog.Logger, venue s360api.Venue) (baseURL string, stop func(), err error) {
	secret := getenv(s360APISecretEnv)
	if secret == "" {
		return "", nil, fmt.Errorf("--api-listen: set %s to the operator secret usher's s360_api block uses", s360APISecretEnv)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("--api-listen %s: %w", addr, err)
	}
	sim := s360api.New(s360api.Config{Institutions: []s360api.Institution{{Code: strings.ToUpper(institution), Secret: secret}}, Venue: venue})
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("S-360 API stand-in stopped", "err", err)
		}
	}()
	baseURL = "http://" + ln.Addr().String()
	logger.Info("S-360 API stand-in listening", "url", baseURL, "institution", institution)
	return baseURL, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// sharedVenue lets the API stand-in write into the push simulator's venue:
// what the API creates, changes or closes is queued at the venue's clock,
// like the venue's own activity, and pushed at the next run; and the
// venue's own contacts can be read, searched, changed and booked for
// through the API.
type sharedVenue struct {
	venue *s360.Venue
	feed  s360.Timeline
}

func (v sharedVenue) at() time.Time {
	now := v.feed.Clock()
	if !v.feed.Until.IsZero() && now.After(v.feed.Until) {
		return v.feed.Until // the feed hands out nothing later
	}
	return now
}

// ContactChanged implements s360api.Venue.
func (v sharedVenue) ContactChanged(number string, contact json.RawMessage) {
	v.venue.AddExternal(usher.StreamContacts, number, v.at(), contact)
}

// Contact implements s360api.Venue: the venue's own contacts are the
// API's too.
func (v sharedVenue) Contact(number string) (json.RawMessage, bool) {
	return v.venue.ContactAt(number, v.at())
}

// ContactsByEmail implements s360api.Venue.
func (v sharedVenue) ContactsByEmail(email string) []json.RawMessage {
	return v.venue.ContactsByEmailAt(email, v.at())
}

// ChangeContact implements s360api.Venue: the change applies to the
// venue's contact as it is at the venue's clock (see s360.Venue).
func (v sharedVenue) ChangeContact(number string, change func(map[string]any)) (json.RawMessage, bool) {
	return v.venue.ChangeContactAt(number, v.at(), change)
}

// OrderFinalised implements s360api.Venue.
func (v sharedVenue) OrderFinalised(orderID string, order json.RawMessage) {
	v.venue.AddExternal(usher.StreamOrders, orderID, v.at(), order)
}

// s360Stand is S-360 as `usher sim s360` and `usher demo` play it: the
// push simulator over a venue and, with --api-listen, the API stand-in
// over the same venue.
type s360Stand struct {
	sim *s360.Simulator
	// apiURL is the API stand-in's base URL (a port 0 in --api-listen
	// resolved); empty without --api-listen.
	apiURL string
	// stop releases the API stand-in and the fault proxy.
	stop func()
}

// startS360Sims starts S-360: the push simulator over a venue, the fault
// proxy if asked for, and, with --api-listen, the API stand-in over the
// same venue, so that what a CRM writes through usher comes back in
// S-360's next push. Nothing is pushed before the simulator runs.
func startS360Sims(ctx context.Context, o *simOptions, getenv func(string) string, logger *slog.Logger) (*s360Stand, error) {
	cfg, venue, feed, err := o.build(getenv)
	if err != nil {
		return nil, err
	}
	var stops []func()
	st := &s360Stand{stop: func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}}
	if cfg.Faults.AtProxy() {
		proxyURL, stopProxy, err := startFaultProxy(cfg, logger)
		if err != nil {
			return nil, err
		}
		stops = append(stops, stopProxy)
		cfg.Target = throughProxy(cfg.Target, proxyURL)
	}
	if o.apiListen != "" {
		apiURL, stopAPI, err := startS360API(ctx, o.apiListen, cfg.Institution, getenv, logger, sharedVenue{venue: venue, feed: feed})
		if err != nil {
			st.stop()
			return nil, err
		}
		st.apiURL, stops = apiURL, append(stops, stopAPI)
	}
	if st.sim, err = s360.New(cfg, feed, nil, logger); err != nil {
		st.stop()
		return nil, err
	}
	return st, nil
}
