package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/client"
	"github.com/usher-hub/usher/internal/analytics"
	"github.com/usher-hub/usher/internal/crm"
	"github.com/usher-hub/usher/internal/httpapi"
	"github.com/usher-hub/usher/internal/ingest"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/outbox"
	"github.com/usher-hub/usher/internal/quarantine"
	"github.com/usher-hub/usher/internal/schema"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/testdb"
)

const (
	adminKey = "admin-key-of-the-client-test"
	venueKey = "key-of-myvenue-only-0123456"
)

// server is usher's real HTTP handler over a real SQLite store, wired as
// cmd/usher wires it for the routes the client calls (no outbox workers:
// CRM writes stay queued).
type server struct {
	URL   string
	store *store.Store
}

func newServer(t *testing.T) *server {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, testdb.SQLite(t), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logger := slog.New(slog.DiscardHandler)
	reg := prometheus.NewRegistry()
	validator, err := schema.Load("", schema.NewDriftReporter(logger, nil))
	if err != nil {
		t.Fatal(err)
	}
	institutions := []usher.Institution{
		{Code: "myvenue", Auth: usher.PushAuth{Mode: usher.AuthBasic, Username: "s360", Secret: "push-secret"}, Policy: usher.PolicyQuarantine},
		{Code: "keyvenue", Auth: usher.PushAuth{Mode: usher.AuthAPIKey, Header: "X-Venue-Key", Secret: "venue-key-secret"}, Policy: usher.PolicyStrict},
	}
	codes := []string{"myvenue", "keyvenue"}
	keys := httpapi.NewAPIKeys([]usher.APIKey{
		{Name: "admin", Secret: adminKey, Institutions: []string{"*"}},
		{Name: "venue", Secret: venueKey, Institutions: []string{"myvenue"}},
	})
	im := metrics.NewIngest(reg)
	om := metrics.NewOutbox(reg)
	svc := ingest.NewService(st, validator, im, logger)
	reports := analytics.NewHandler(analytics.NewService(st, time.Now, time.UTC), codes, logger)
	crmAPI := crm.NewHandler(crm.NewService(st, map[string]int{"myvenue": 3}, om, logger, time.Now, func() {}), logger)
	h := httpapi.NewHandler(httpapi.Deps{
		Logger:   logger,
		Gatherer: reg,
		Ready:    st,
		Ingest:   ingest.NewHandler(svc, institutions, 1<<20, im, logger),
		Mount: []func(*http.ServeMux){func(mux *http.ServeMux) {
			reports.Mount(mux, keys)
			crmAPI.Mount(mux, keys)
			mux.Handle("GET /api/v1/quarantine", keys.Require(logger, quarantine.NewHandler(st, logger)))
			mux.Handle("GET /api/v1/outbox", keys.Require(logger, outbox.NewStatusHandler(st, codes, nil, logger)))
		}},
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &server{URL: srv.URL, store: st}
}

// project applies every stored document to the report rollups, as the
// server's projector does shortly after each push.
func (s *server) project(t *testing.T) {
	t.Helper()
	for {
		res, err := s.store.ProjectAnalytics(context.Background(), 1000)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Partial {
			return
		}
	}
}

func seed(t *testing.T, stream client.Stream) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "testdata", "s360", string(stream)+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return body
}

var push = client.Basic("s360", "push-secret")

func TestHealthAndReady(t *testing.T) {
	t.Parallel()
	c := client.New(newServer(t).URL, "")
	ctx := context.Background()
	if err := c.Health(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Metrics(ctx, ""); err != nil {
		t.Fatalf("metrics: %v", err)
	}
}

func TestPushCountsAndAuth(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := client.New(s.URL, adminKey)
	ctx := context.Background()
	rc, err := c.Push(ctx, "myvenue", client.StreamTicketChecks, seed(t, client.StreamTicketChecks), push)
	if err != nil || rc.Stored != 2 || rc.Duplicate != 0 {
		t.Fatalf("first push: %+v %v", rc, err)
	}
	if rc, err = c.Push(ctx, "myvenue", client.StreamTicketChecks, seed(t, client.StreamTicketChecks), push); err != nil || rc.Duplicate != 2 || rc.Stored != 0 {
		t.Fatalf("second push: %+v %v", rc, err)
	}
	// Quarantined, with its report.
	rc, err = c.PushDocuments(ctx, "myvenue", client.StreamTicketChecks, []any{map[string]any{"barcode": "bad"}}, push)
	if err != nil || rc.Quarantined != 1 || len(rc.Invalid) != 1 || len(rc.Invalid[0].Violations) == 0 {
		t.Fatalf("invalid push: %+v %v", rc, err)
	}
	// A wrong password is a typed 401; the API key is never sent on a push.
	_, err = c.Push(ctx, "myvenue", client.StreamTicketChecks, seed(t, client.StreamTicketChecks), client.Basic("s360", "wrong"))
	var e *client.Error
	if !errors.As(err, &e) || e.Status != http.StatusUnauthorized || e.Code != "unauthorized" || e.Message == "" {
		t.Fatalf("wrong password: %#v", err)
	}
	if client.StatusOf(err) != http.StatusUnauthorized {
		t.Fatalf("StatusOf = %d", client.StatusOf(err))
	}
	// API key auth on its header; strict policy answers 422 with the report.
	if _, err := c.Push(ctx, "keyvenue", client.StreamContacts, seed(t, client.StreamContacts), client.APIKey("X-Venue-Key", "venue-key-secret")); err != nil {
		t.Fatalf("api key push: %v", err)
	}
	_, err = c.PushDocuments(ctx, "keyvenue", client.StreamTicketChecks, []any{map[string]any{"barcode": "bad"}}, client.APIKey("X-Venue-Key", "venue-key-secret"))
	if !errors.As(err, &e) || e.Status != http.StatusUnprocessableEntity || !json.Valid(e.Detail) || len(e.Detail) == 0 {
		t.Fatalf("strict policy: %#v", err)
	}
}

func TestReports(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := client.New(s.URL, adminKey)
	ctx := context.Background()
	for _, stream := range client.Streams {
		if _, err := c.Push(ctx, "myvenue", stream, seed(t, stream), push); err != nil {
			t.Fatal(err)
		}
	}
	s.project(t)
	day := client.ReportQuery{From: "2023-02-09", To: "2023-02-09"}
	sales, err := c.Report(ctx, "myvenue", client.ReportSales, day)
	if err != nil || len(sales.Rows) != 1 || sales.Rows[0].Text("revenue") != "40.00" || sales.Rows[0].Text("tickets") != "2" {
		t.Fatalf("sales: %+v %v", sales, err)
	}
	bd, err := c.Report(ctx, "myvenue", client.ReportBreakdown, day)
	if err != nil || len(bd.Rows) != 1 || bd.Rows[0].Text("label") != "Permanent Collection" {
		t.Fatalf("breakdown: %+v %v", bd, err)
	}
	att, err := c.Report(ctx, "myvenue", client.ReportAttendance, client.ReportQuery{From: "2023-02-09", To: "2023-02-09", Interval: "hour"})
	if err != nil || att.Interval != "hour" || att.Summary["total_in"] == nil {
		t.Fatalf("attendance: %+v %v", att, err)
	}
	if _, err := c.Report(ctx, "myvenue", client.ReportGates, client.ReportQuery{From: "2023-02-09", To: "2023-02-09", By: "flow"}); err != nil {
		t.Fatalf("gates: %v", err)
	}
	csv, err := c.ReportCSV(ctx, "myvenue", client.ReportSales, day, "")
	if err != nil || !strings.HasPrefix(string(csv), "period,label,orders") {
		t.Fatalf("csv: %v %s", err, csv)
	}
	h, err := c.IngestHealth(ctx, "myvenue")
	if err != nil || len(h.Streams) != 3 {
		t.Fatalf("health: %+v %v", h, err)
	}
	// Errors carry usher's code and message.
	_, err = c.Report(ctx, "myvenue", client.ReportSales, client.ReportQuery{From: "2023-02-10", To: "2023-02-01"})
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 400 || e.Code != "invalid" || !strings.Contains(e.Message, "before") {
		t.Fatalf("bad range: %#v", err)
	}
	// A key scoped to myvenue does not see keyvenue.
	if _, err := client.New(s.URL, venueKey).Report(ctx, "keyvenue", client.ReportSales, day); client.StatusOf(err) != 404 {
		t.Fatalf("other venue's report: %v", err)
	}
	if _, err := client.New(s.URL, "no-such-key-0123456789").Report(ctx, "myvenue", client.ReportSales, day); client.StatusOf(err) != 401 {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestQuarantineListing(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := client.New(s.URL, adminKey)
	ctx := context.Background()
	var bad []any
	for range 3 {
		bad = append(bad, map[string]any{"barcode": "bad", "n": len(bad)})
	}
	if rc, err := c.PushDocuments(ctx, "myvenue", client.StreamTicketChecks, bad, push); err != nil || rc.Quarantined != 3 {
		t.Fatalf("push: %+v %v", rc, err)
	}
	page, err := c.Quarantine(ctx, client.QuarantineQuery{Institution: "myvenue", Limit: 2})
	if err != nil || len(page.Items) != 2 || page.NextAfterID == 0 {
		t.Fatalf("first page: %+v %v", page, err)
	}
	it := page.Items[0]
	if it.Stream != client.StreamTicketChecks || it.Status != "pending" || len(it.Violations) == 0 || !json.Valid(it.Document) {
		t.Fatalf("item: %+v", it)
	}
	all, err := c.AllQuarantined(ctx, client.QuarantineQuery{Stream: client.StreamTicketChecks, Limit: 2})
	if err != nil || len(all) != 3 {
		t.Fatalf("all: %d %v", len(all), err)
	}
	if _, err := c.Quarantine(ctx, client.QuarantineQuery{Status: "lost"}); client.StatusOf(err) != 400 {
		t.Fatalf("bad status: %v", err)
	}
}

func TestCRMWritesAndOutbox(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := client.New(s.URL, adminKey)
	ctx := context.Background()
	rc, err := c.SaveContact(ctx, "myvenue", "idem-1", client.ContactRequest{
		Contact: map[string]any{"email": "ada@example.org", "individualContact": map[string]any{"lastName": "Lovelace"}}})
	if err != nil || rc.TrackingID == "" || rc.State != client.JobQueued {
		t.Fatalf("save contact: %+v %v", rc, err)
	}
	again, err := c.SaveContact(ctx, "myvenue", "idem-1", client.ContactRequest{
		Contact: map[string]any{"email": "ada@example.org", "individualContact": map[string]any{"lastName": "Lovelace"}}})
	if err != nil || again.TrackingID != rc.TrackingID {
		t.Fatalf("resent: %+v %v", again, err)
	}
	if _, err := c.SaveContact(ctx, "myvenue", "idem-1", json.RawMessage(`{"contact":{"email":"other@example.org"}}`)); client.StatusOf(err) != 409 {
		t.Fatalf("same key, other body: %v", err)
	}
	st, err := c.Request(ctx, "myvenue", rc.TrackingID)
	if err != nil || st.State != client.JobQueued || st.Kind != "s360.contact.save" {
		t.Fatalf("request: %+v %v", st, err)
	}
	b, err := c.CreateBooking(ctx, "myvenue", "", client.BookingRequest{ContactNumber: "42", OrderType: "OPTION",
		Items: []client.BookingItem{{ProductID: 1, Quantity: 2}}})
	if err != nil || b.TrackingID == "" {
		t.Fatalf("booking: %+v %v", b, err)
	}
	if _, err := c.SaveContact(ctx, "myvenue", "", client.ContactRequest{Contact: map[string]any{"contactId": 3}}); client.StatusOf(err) == 0 || client.StatusOf(err) >= 500 {
		t.Fatalf("refused field: %v", err)
	}
	ob, err := c.Outbox(ctx, "myvenue")
	if err != nil || len(ob.Institutions) != 1 || ob.Institutions[0].Jobs[client.JobQueued] != 2 {
		t.Fatalf("outbox: %+v %v", ob, err)
	}
	if _, err := client.New(s.URL, venueKey).Outbox(ctx, "keyvenue"); client.StatusOf(err) != 404 {
		t.Fatalf("other venue's outbox: %v", err)
	}
}

// TestErrorWithoutJSONBody: an answer that is not usher's JSON error
// (here the router's plain 404 for a base URL with a wrong path) is a
// *Error with its text as the message.
func TestErrorWithoutJSONBody(t *testing.T) {
	t.Parallel()
	err := client.New(newServer(t).URL+"/usher", "").Health(context.Background())
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 404 || e.Code != "" || !strings.Contains(e.Message, "not found") {
		t.Fatalf("%#v", err)
	}
}
