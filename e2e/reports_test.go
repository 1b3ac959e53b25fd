package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/usher-hub/usher/client"
	"github.com/usher-hub/usher/internal/testdb"
)

// TestPushThenReport pushes the reference S-360 payloads through the real
// ingest endpoint and reads them back from the analytics API: the
// server's projector brings the reports up with ingest with no other step.
func TestPushThenReport(t *testing.T) {
	t.Parallel()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			cfg := writeConfigYAML(t, `
institutions: [{code: myvenue, auth: {mode: none}}]
api_keys: [{name: admin, secret: `+adminKey+`, institutions: ["*"]}]
analytics: {timezone: UTC, project_interval: 20ms}
`)
			c, ctx := serve(t, "--config", cfg, "--database", testdb.DSN(t, engine)).Client(adminKey), context.Background()
			for _, stream := range []client.Stream{client.StreamContacts, client.StreamOrders, client.StreamTicketChecks} {
				if _, err := c.Push(ctx, "myvenue", stream, seed(t, stream), client.PushAuth{}); err != nil {
					t.Fatalf("push %s: %v", stream, err)
				}
			}
			// The projector applies each push shortly after it: it may have
			// applied the orders and not yet the checks pushed after them,
			// so every report is read again until all three are whole (or
			// the deadline passes and the checks below say what is missing).
			var sales, breakdown, contacts *client.Report
			report := func(name client.ReportName, q client.ReportQuery) *client.Report {
				t.Helper()
				r, err := c.Report(ctx, "myvenue", name, q)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				return r
			}
			salesOK := func() bool {
				return len(sales.Rows) == 1 && sales.Rows[0].Text("revenue") == "40.00" && sales.Rows[0].Text("tickets") == "2"
			}
			breakdownOK := func() bool {
				return len(breakdown.Rows) == 1 && breakdown.Rows[0].Text("label") == "Permanent Collection" &&
					breakdown.Rows[0].Text("in") == "1" && breakdown.Rows[0].Text("failed") == "1"
			}
			contactsOK := func() bool {
				return len(contacts.Rows) == 2 && contacts.Rows[0].Text("new_persons") == "1" && contacts.Rows[1].Text("new_companies") == "1"
			}
			day := client.ReportQuery{From: "2023-02-09", To: "2023-02-09"}
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				sales = report(client.ReportSales, day)
				breakdown = report(client.ReportBreakdown, day)
				contacts = report(client.ReportContacts, client.ReportQuery{From: "2022-11-01", To: "2022-12-31", Interval: "month"})
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
