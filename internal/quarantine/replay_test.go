package quarantine_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/ingest"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/quarantine"
	"github.com/usher-hub/usher/internal/schema"
	"github.com/usher-hub/usher/internal/testdb"
)

// The real ingest path quarantines these: an exit the built-in schema
// does not know yet, a check with a string movement id, and a contact
// whose number is a number.
const (
	exitCheck   = `{"ticket_check_id":7,"movement_id":1,"ticket_id":2,"barcode":"0","access_time":"2023-02-09 18:25:10","check_flow":"EXIT","result":"OK","failure_reason":"NO_FAIL"}`
	brokenCheck = `{"ticket_check_id":8,"movement_id":"x","ticket_id":2,"barcode":"0","access_time":"2023-02-09 18:25:11","check_flow":"IN","result":"OK","failure_reason":"NO_FAIL"}`
	badContact  = `{"contactNumber": 3346662}`
)

func loadSchemas(t *testing.T, dir string) *schema.Registry {
	t.Helper()
	r, err := schema.Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReplayAfterSchemaChange(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) { testReplayAfterSchemaChange(t, engine) })
	}
}

func testReplayAfterSchemaChange(t *testing.T, engine string) {
	ctx := context.Background()
	st := openStore(t, engine)
	inst := usher.Institution{Code: "myvenue", Policy: usher.PolicyQuarantine}
	svc := ingest.NewService(st, loadSchemas(t, ""), metrics.NewIngest(prometheus.NewRegistry()), discard)
	if r, err := svc.Ingest(ctx, inst, usher.StreamTicketChecks, []byte("["+exitCheck+","+brokenCheck+"]")); err != nil || r.Quarantined != 2 {
		t.Fatalf("ingest checks: %+v, %v", r, err)
	}
	if r, err := svc.Ingest(ctx, inst, usher.StreamContacts, []byte("["+badContact+"]")); err != nil || r.Quarantined != 1 {
		t.Fatalf("ingest contact: %+v, %v", r, err)
	}

	replay := func(r *schema.Registry, opts quarantine.ReplayOptions) quarantine.ReplaySummary {
		t.Helper()
		sum, err := quarantine.NewReplayer(st, r, ingest.Describe, discard).Replay(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	checks := func() int {
		docs, err := st.FindDocuments(ctx, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamTicketChecks})
		if err != nil {
			t.Fatal(err)
		}
		return len(docs)
	}

	// Unchanged schemas: nothing passes, and every row records the check.
	if sum := replay(loadSchemas(t, ""), quarantine.ReplayOptions{}); sum != (quarantine.ReplaySummary{Checked: 3, StillInvalid: 3}) {
		t.Fatalf("replay under the same schemas = %+v", sum)
	}
	for _, d := range pending(t, st) {
		if d.ReplayedAt == nil {
			t.Fatalf("row %d has no replay time after a replay", d.ID)
		}
	}

	// The venue's gates now send EXIT: an override names it.
	dir := t.TempDir()
	override := "type: s360.ticketcheck\nversion: 2\ndocument:\n" +
		"  ticket_check_id: int\n  movement_id: int\n  ticket_id: int\n  barcode: string\n  access_time: timestamp\n" +
		"  check_flow: enum(IN, OUT, EXIT)\n  result: enum(OK, FAIL)\n  failure_reason: string\n"
	if err := os.MkdirAll(filepath.Join(dir, "myvenue"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "myvenue", "s360.ticketcheck.yaml"), []byte(override), 0o644); err != nil {
		t.Fatal(err)
	}
	changed := loadSchemas(t, dir)

	dry := replay(changed, quarantine.ReplayOptions{DryRun: true})
	if dry != (quarantine.ReplaySummary{Checked: 3, StillInvalid: 2, WouldRelease: 1}) || checks() != 0 || len(pending(t, st)) != 3 {
		t.Fatalf("dry run = %+v and changed the store (%d checks)", dry, checks())
	}
	if sum := replay(changed, quarantine.ReplayOptions{Institution: "othervenue"}); sum.Checked != 0 {
		t.Fatalf("replay of another institution checked %d", sum.Checked)
	}
	if sum := replay(changed, quarantine.ReplayOptions{Stream: usher.StreamContacts}); sum != (quarantine.ReplaySummary{Checked: 1, StillInvalid: 1}) {
		t.Fatalf("replay of contacts only = %+v", sum)
	}

	sum := replay(changed, quarantine.ReplayOptions{Institution: "myvenue"})
	if sum != (quarantine.ReplaySummary{Checked: 3, Stored: 1, StillInvalid: 2}) || checks() != 1 {
		t.Fatalf("replay after the change = %+v with %d checks stored, want the EXIT check stored", sum, checks())
	}
	left := pending(t, st)
	if len(left) != 2 {
		t.Fatalf("%d still pending, want 2", len(left))
	}
	for _, d := range left {
		if d.DocType == usher.DocS360TicketCheck && !strings.HasPrefix(d.SchemaVersion, "2 (schema_dir/myvenue/s360.ticketcheck.yaml") {
			t.Errorf("still-invalid check records schema %q, want the override", d.SchemaVersion)
		}
	}
	released, err := st.FindQuarantined(ctx, usher.QuarantineFilter{Status: usher.QuarantineReleased})
	if err != nil || len(released) != 1 || released[0].ExternalID != "7" || released[0].ReleaseOutcome != usher.OutcomeStored {
		t.Fatalf("released = %+v, %v", released, err)
	}

	// Idempotent: a second run stores nothing more.
	if again := replay(changed, quarantine.ReplayOptions{}); again != (quarantine.ReplaySummary{Checked: 2, StillInvalid: 2}) || checks() != 1 {
		t.Fatalf("second replay = %+v with %d checks", again, checks())
	}
}

func TestReplayPagesThroughManyDocuments(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "sqlite")
	var bad []usher.QuarantinedDocument
	for i := range 250 {
		raw := `{"contactNumber": "` + strings.Repeat("1", i+1) + `"}`
		h, _ := usher.HashJSON([]byte(raw))
		bad = append(bad, usher.QuarantinedDocument{Institution: "myvenue", Stream: usher.StreamContacts,
			DocType: usher.DocS360Contact, Hash: h, Raw: []byte(raw), SchemaVersion: "0 (old)"})
	}
	if _, err := st.SaveDocumentsAndQuarantine(ctx, nil, bad); err != nil {
		t.Fatal(err)
	}
	sum, err := quarantine.NewReplayer(st, loadSchemas(t, ""), ingest.Describe, discard).Replay(ctx, quarantine.ReplayOptions{})
	if err != nil || sum != (quarantine.ReplaySummary{Checked: 250, Stored: 250}) {
		t.Fatalf("replay of 250 = %+v, %v", sum, err)
	}
	if left := pending(t, st); len(left) != 0 {
		t.Fatalf("%d left pending", len(left))
	}
}

func pending(t *testing.T, st usher.QuarantineStore) []usher.QuarantinedDocument {
	t.Helper()
	q, err := st.FindQuarantined(context.Background(), usher.QuarantineFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestReplayKeepsConflicts: a ticket check quarantined because its id is
// stored with other content passes its schema, so a replay released it as
// a duplicate and the conflict vanished after all; it stays until the
// stored check agrees with it.
func TestReplayKeepsConflicts(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, engine)
			inst := usher.Institution{Code: "myvenue", Policy: usher.PolicyQuarantine}
			svc := ingest.NewService(st, loadSchemas(t, ""), metrics.NewIngest(prometheus.NewRegistry()), discard)
			stored := strings.Replace(exitCheck, `"EXIT"`, `"IN"`, 1)
			changed := strings.Replace(stored, `"OK"`, `"FAIL"`, 1)
			for _, body := range []string{stored, changed} {
				if _, err := svc.Ingest(ctx, inst, usher.StreamTicketChecks, []byte("["+body+"]")); err != nil {
					t.Fatal(err)
				}
			}
			sum, err := quarantine.NewReplayer(st, loadSchemas(t, ""), ingest.Describe, discard).Replay(ctx, quarantine.ReplayOptions{})
			if err != nil || sum != (quarantine.ReplaySummary{Checked: 1, StillInvalid: 1}) {
				t.Fatalf("replay = %+v, %v; want the conflict still invalid", sum, err)
			}
			left := pending(t, st)
			if len(left) != 1 || !strings.HasPrefix(left[0].Violations[0].Message, usher.ConflictPrefix) {
				t.Fatalf("pending after replay = %+v, want the conflict", left)
			}
		})
	}
}
