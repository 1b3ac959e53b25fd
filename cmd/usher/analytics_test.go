package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/usher-hub/usher/internal/config"
	"github.com/usher-hub/usher/internal/testdb"
)

const testAdminKey = "admin-key-of-the-analytics-test"

// analyticsServer boots the real server wiring on engine, on loopback.
func analyticsServer(t *testing.T, engine string) *httptest.Server {
	t.Helper()
	cfg := config.Default()
	cfg.Database = testdb.DSN(t, engine)
	cfg.Institutions = []config.Institution{{Code: "myvenue", Auth: config.Auth{Mode: "none"}}}
	cfg.APIKeys = []config.APIKey{{Name: "admin", Secret: testAdminKey, Institutions: []string{"*"}}}
	cfg.Analytics.Timezone = "UTC"
	cfg.Analytics.ProjectInterval = 20 * time.Millisecond
	a, err := newApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.handler)
	t.Cleanup(srv.Close)
	return srv
}

// TestPushThenReport pushes the reference S-360 payloads through the real
// ingest endpoint and reads them back from the analytics API: the
// server's projector brings the reports up with ingest with no other step.
func TestPushThenReport(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			srv := analyticsServer(t, engine)
			for _, stream := range []string{"contacts", "orders", "ticketchecks"} {
				body, err := os.ReadFile(filepath.Join("..", "..", "testdata", "s360", stream+".json"))
				if err != nil {
					t.Fatal(err)
				}
				resp, err := http.Post(srv.URL+"/s360/"+stream+"/myvenue", "application/json", bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("push %s: status %d", stream, resp.StatusCode)
				}
			}
			// The projector applies each push shortly after it: it may have
			// applied the orders and not yet the checks pushed after them,
			// so every report is read again until all three are whole (or
			// the deadline passes and the checks below say what is missing).
			var sales, breakdown, contacts struct{ Rows []map[string]any }
			salesOK := func() bool {
				return len(sales.Rows) == 1 && cell(sales.Rows[0], "revenue") == "40.00" && cell(sales.Rows[0], "tickets") == "2"
			}
			breakdownOK := func() bool {
				return len(breakdown.Rows) == 1 && cell(breakdown.Rows[0], "label") == "Permanent Collection" &&
					cell(breakdown.Rows[0], "in") == "1" && cell(breakdown.Rows[0], "failed") == "1"
			}
			contactsOK := func() bool {
				return len(contacts.Rows) == 2 && cell(contacts.Rows[0], "new_persons") == "1" && cell(contacts.Rows[1], "new_companies") == "1"
			}
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				reportGet(t, srv, "/api/v1/analytics/myvenue/sales?from=2023-02-09&to=2023-02-09", &sales)
				reportGet(t, srv, "/api/v1/analytics/myvenue/breakdown?from=2023-02-09&to=2023-02-09", &breakdown)
				reportGet(t, srv, "/api/v1/analytics/myvenue/contacts?from=2022-11-01&to=2022-12-31&interval=month", &contacts)
				if salesOK() && breakdownOK() && contactsOK() || time.Now().After(deadline) {
					break
				}
			}
			if !salesOK() {
				t.Errorf("sales = %v, want the reference order: 2 tickets, 40.00", sales.Rows)
			}
			if !breakdownOK() {
				t.Errorf("breakdown = %v, want both reference checks joined to the order's product", breakdown.Rows)
			}
			if !contactsOK() {
				t.Errorf("contacts = %v, want a person in November and a company in December", contacts.Rows)
			}
		})
	}
}

func reportGet(t *testing.T, srv *httptest.Server, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+testAdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatal(err)
	}
}

// cell reads one report cell as text (numbers arrive as json.Number).
func cell(row map[string]any, key string) string { return fmt.Sprint(row[key]) }
