package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/testdb"
)

// TestCRMUpdatesAVenueContact is the main CRM use case of seed 002 over
// one S-360 (`usher sim s360 --api-listen`: the push simulator and the
// API stand-in sharing a venue): a contact the venue pushed reaches the
// CRM through usher; the CRM changes it through usher's CRM API; S-360's
// next push carries the change, which usher stores and recognises as the
// CRM's own echo, not sent back. Then a CRM booking for that contact is
// made in S-360, closed, and comes back in the next order push to the CRM.
func TestCRMUpdatesAVenueContact(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			apiAddr := ln.Addr().String()
			ln.Close()
			h := newVenueHarness(t, engine, "http://"+apiAddr)
			o := s360Defaults()
			o.target, o.apiListen, o.scale = h.usherURL, apiAddr, 0.05
			o.from, o.until = time.Now().AddDate(0, 0, -1).Format("2006-01-02"), time.Now().Format(time.RFC3339)
			stand, err := startS360Sims(context.Background(), &o, func(string) string { return s360Secret }, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(stand.stop)
			stand.sim.RunOnce(context.Background())
			h.settle()
			number := h.crmIndividual()
			doc := "contacts/" + number
			if v := h.crm.Versions(doc); len(v) != 1 {
				t.Fatalf("the CRM received versions %v of venue contact %s, want one", v, number)
			}

			phone := "+41 79 555 01 02"
			rc := h.postCRM("/api/v1/crm/myvenue/contacts", map[string]any{"base_version": 1,
				"contact": map[string]any{"contactNumber": number, "cellPhoneNumber": phone}}, "venue-update-1")
			h.settle()
			if st := h.requestStatus(rc); st.State != usher.JobDone {
				t.Fatalf("the CRM's update of venue contact %s is %s: %s", number, st.State, st.LastError)
			}
			stand.sim.RunOnce(context.Background())
			h.settle()
			if got := h.storedVersions(number); got != 2 {
				t.Fatalf("usher holds %d versions of %s, want 2: S-360's push of the CRM's change", got, number)
			}
			if last := h.latestStored(number); !strings.Contains(last, phone) {
				t.Fatalf("S-360 pushed %s back as %s, want the CRM's phone %s", number, last, phone)
			}
			if v := h.crm.Versions(doc); !slices.Equal(v, []int{1}) {
				t.Fatalf("the CRM received versions %v, want only [1]: version 2 is the echo of its own write", v)
			}
			if echoes := h.outboxExtra()["echoes"].(map[string]any); echoes["suppressed"] != 1.0 {
				t.Fatalf("echo counts %v, want 1 suppressed", echoes)
			}

			rc = h.postCRM("/api/v1/crm/myvenue/bookings", map[string]any{"contactNumber": number, "orderType": "SALE",
				"reference": "opp-venue-1", "items": []map[string]any{{"productCode": "PERMCOL", "quantity": 2}}}, "venue-booking-1")
			h.settle()
			st := h.requestStatus(rc)
			var booked struct {
				OrderID json.Number `json:"orderId"`
			}
			if err := json.Unmarshal(st.Result, &booked); st.State != usher.JobDone || err != nil || booked.OrderID == "" {
				t.Fatalf("the CRM's booking for venue contact %s is %s (%s), result %s", number, st.State, st.LastError, st.Result)
			}
			stand.sim.RunOnce(context.Background())
			h.settle()
			order := "orders/" + booked.OrderID.String()
			waitFor(t, time.Minute, "order "+order+" at the CRM", func() bool { return len(h.crm.Versions(order)) == 1 })
			if body := h.crm.LastBody(order); !strings.Contains(body, number) {
				t.Fatalf("the CRM received %s as %s, want it for contact %s", order, body, number)
			}
		})
	}
}

// newVenueHarness is usher in-process with its s360_api block pointing at
// apiURL, where the S-360 stand-in started by the test will listen.
func newVenueHarness(t *testing.T, engine, apiURL string) *harness {
	t.Helper()
	h := &harness{t: t, crm: newTestCRM(t)}
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	h.usherURL, h.hc = srv.URL, srv.Client()
	cfg := harnessConfig(testdb.DSN(t, engine), apiURL, h.crm.URL, harnessOptions{simLimit: 180, simWindow: time.Minute, cooldown: 200 * time.Millisecond})
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		a.Close()
	})
	h.app, handler = a, a.handler
	return h
}

// crmIndividual returns the number of a person among the contacts the CRM
// received.
func (h *harness) crmIndividual() string {
	h.t.Helper()
	var found []string
	for doc, body := range h.crm.FirstBodies() {
		if n, ok := strings.CutPrefix(doc, "contacts/"); ok && strings.Contains(body, `"INDIVIDUAL"`) {
			found = append(found, n)
		}
	}
	if len(found) == 0 {
		h.t.Fatal("the CRM received no person from the venue")
	}
	slices.Sort(found)
	return found[0]
}

// latestStored returns the payload of the latest version usher holds of
// contact number.
func (h *harness) latestStored(number string) string {
	h.t.Helper()
	docs, err := h.app.store.FindDocuments(context.Background(), usher.DocumentFilter{Institution: "myvenue",
		Stream: usher.StreamContacts, ExternalID: number})
	if err != nil || len(docs) == 0 {
		h.t.Fatalf("usher holds no contact %s: %v", number, err)
	}
	latest := docs[0]
	for _, d := range docs {
		if d.Version > latest.Version {
			latest = d
		}
	}
	return string(latest.Raw)
}
