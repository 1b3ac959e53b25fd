package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/schema"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/testdb"
)

var (
	quarantinePolicy = usher.Institution{Code: "myvenue", Policy: usher.PolicyQuarantine}
	strictPolicy     = usher.Institution{Code: "strictvenue", Policy: usher.PolicyStrict}
)

type bundle struct {
	svc     *Service
	store   usher.Store
	metrics *metrics.Ingest
}

// setup opens a fresh store of engine and a service validating with the
// built-in schemas, overridden by schemaDir when it is not empty.
func setup(t testing.TB, engine, schemaDir string) bundle {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, testdb.DSN(t, engine), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg, err := schema.Load(schemaDir, schema.NewDriftReporter(logger, nil))
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.NewIngest(prometheus.NewRegistry())
	return bundle{svc: NewService(st, reg, m, logger), store: st, metrics: m}
}

func checkJSON(id int, flow string, movement any) string {
	m, _ := json.Marshal(movement)
	return fmt.Sprintf(`{"ticket_check_id":%d,"movement_id":%s,"ticket_id":10228844446468,"barcode":"072212349924430836880155",`+
		`"access_time":"2023-02-09 18:25:10","check_flow":%q,"result":"OK","failure_reason":"NO_FAIL"}`, id, m, flow)
}

// mixedPayload has a valid check, a check with a bad enum and one with a
// string id.
var mixedPayload = "[" + checkJSON(1, "IN", 10) + "," + checkJSON(2, "SIDEWAYS", 11) + "," + checkJSON(3, "IN", "x") + "]"

func TestIngestPolicies(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Run("QuarantineStoresValidAndKeepsInvalid", func(t *testing.T) { testQuarantinePolicy(t, engine) })
			t.Run("StrictRejectsWholePayload", func(t *testing.T) { testStrictPolicy(t, engine) })
			t.Run("OddItemsAreQuarantinedNotFatal", func(t *testing.T) { testOddItems(t, engine) })
			t.Run("UnkeyableDocumentUnderRelaxedSchema", func(t *testing.T) { testUnkeyable(t, engine) })
			t.Run("ReferencePayloadsAreStored", func(t *testing.T) { testReferencePayloads(t, engine) })
		})
	}
}

func testQuarantinePolicy(t *testing.T, engine string) {
	b := setup(t, engine, "")
	ctx := context.Background()
	r, err := b.svc.Ingest(ctx, quarantinePolicy, usher.StreamTicketChecks, []byte(mixedPayload))
	if err != nil {
		t.Fatal(err)
	}
	if r.Stored != 1 || r.Quarantined != 2 || len(r.Invalid) != 2 {
		t.Fatalf("receipt = %+v, want 1 stored and 2 quarantined", r)
	}
	want := []string{
		`1 2 $.check_flow: expected one of IN, OUT, got string "SIDEWAYS"`,
		`2 3 $.movement_id: expected integer, got string "x"`,
	}
	for i, rep := range r.Invalid {
		got := fmt.Sprintf("%d %s %s: %s", rep.Index, rep.ExternalID, rep.Violations[0].Path, rep.Violations[0].Message)
		if got != want[i] || !strings.HasPrefix(rep.SchemaVersion, "1 (built-in/s360.ticketcheck.yaml") {
			t.Errorf("report %d = %q (schema %s), want %q", i, got, rep.SchemaVersion, want[i])
		}
	}
	checks, err := b.store.FindDocuments(ctx, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamTicketChecks})
	if err != nil || len(checks) != 1 || checks[0].ExternalID != "1" {
		t.Fatalf("stored checks = %v, %v; want only check 1", checks, err)
	}
	q, err := b.store.FindQuarantined(ctx, usher.QuarantineFilter{})
	if err != nil || len(q) != 2 || q[0].ExternalID != "2" || q[1].ExternalID != "3" {
		t.Fatalf("quarantine = %v, %v", q, err)
	}
	if got := counter(t, b.metrics, "myvenue", "quarantined"); got != 2 {
		t.Fatalf(`usher_documents_total{outcome="quarantined"} = %v, want 2`, got)
	}
	// The same payload again: stored check is a duplicate, bad ones are
	// seen twice, not quarantined twice.
	if _, err := b.svc.Ingest(ctx, quarantinePolicy, usher.StreamTicketChecks, []byte(mixedPayload)); err != nil {
		t.Fatal(err)
	}
	q, _ = b.store.FindQuarantined(ctx, usher.QuarantineFilter{})
	if len(q) != 2 || q[0].SeenCount != 2 {
		t.Fatalf("after a resend: %d rows, seen %d; want 2 rows seen twice", len(q), q[0].SeenCount)
	}
}

func testStrictPolicy(t *testing.T, engine string) {
	b := setup(t, engine, "")
	ctx := context.Background()
	_, err := b.svc.Ingest(ctx, strictPolicy, usher.StreamTicketChecks, []byte(mixedPayload))
	var e *usher.Error
	if !errors.As(err, &e) || e.Code != usher.EUNPROCESSABLE {
		t.Fatalf("err = %v, want unprocessable", err)
	}
	rej, ok := e.Detail.(Rejection)
	if !ok || rej.Policy != usher.PolicyStrict || len(rej.Invalid) != 2 || rej.Invalid[0].Index != 1 {
		t.Fatalf("detail = %#v, want the report of items 1 and 2", e.Detail)
	}
	if e.Message != "2 of 3 documents are invalid; policy strict rejects the whole payload and stored nothing" {
		t.Fatalf("message = %q", e.Message)
	}
	checks, _ := b.store.FindDocuments(ctx, usher.DocumentFilter{Institution: "strictvenue", Stream: usher.StreamTicketChecks})
	q, _ := b.store.FindQuarantined(ctx, usher.QuarantineFilter{Status: usher.QuarantineAll})
	if len(checks) != 0 || len(q) != 0 {
		t.Fatalf("strict stored %d checks and quarantined %d, want nothing", len(checks), len(q))
	}
	if got := counter(t, b.metrics, "strictvenue", "rejected"); got != 2 {
		t.Fatalf(`usher_documents_total{outcome="rejected"} = %v, want 2`, got)
	}
	r, err := b.svc.Ingest(ctx, strictPolicy, usher.StreamTicketChecks, []byte("["+checkJSON(1, "IN", 10)+"]"))
	if err != nil || r.Stored != 1 {
		t.Fatalf("a valid payload under strict: %+v, %v", r, err)
	}
}

func testOddItems(t *testing.T, engine string) {
	b := setup(t, engine, "")
	ctx := context.Background()
	payload := `[5, null, {"contactNumber": "1", "email": "a\u0000@b.c"}, {"contactNumber": "2", "brandNewField": true}]`
	r, err := b.svc.Ingest(ctx, quarantinePolicy, usher.StreamContacts, []byte(payload))
	if err != nil {
		t.Fatalf("a payload with odd items must still be accepted: %v", err)
	}
	if r.Stored != 1 || r.Quarantined != 3 {
		t.Fatalf("receipt = %+v, want the drifting contact stored and 3 quarantined", r)
	}
	got := []string{}
	for _, rep := range r.Invalid {
		got = append(got, rep.Violations[0].Path+": "+rep.Violations[0].Message)
	}
	want := []string{"$: expected object, got number 5", "$: expected object, got null",
		`$: document contains the escape \u0000 (NUL), which cannot be stored`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("reports = %q\nwant %q", got, want)
	}
	q, _ := b.store.FindQuarantined(ctx, usher.QuarantineFilter{})
	if len(q) != 3 || string(q[0].Raw) != "5" || !strings.Contains(string(q[2].Raw), `\u0000`) {
		t.Fatalf("quarantined bodies are not as received: %v", q)
	}
}

func testUnkeyable(t *testing.T, engine string) {
	dir := t.TempDir()
	relaxed := "type: s360.ticketcheck\nversion: 2\ndocument:\n  ticket_check_id?: int\n  access_time?: timestamp\n"
	if err := os.WriteFile(filepath.Join(dir, "s360.ticketcheck.yaml"), []byte(relaxed), 0o644); err != nil {
		t.Fatal(err)
	}
	b := setup(t, engine, dir)
	r, err := b.svc.Ingest(context.Background(), quarantinePolicy, usher.StreamTicketChecks, []byte(`[{"access_time": "2023-02-09 18:25:10"}]`))
	if err != nil || r.Quarantined != 1 {
		t.Fatalf("receipt = %+v, %v; want 1 quarantined", r, err)
	}
	if v := r.Invalid[0].Violations[0]; v.Message != "cannot be stored: ticket check has no ticket_check_id" {
		t.Fatalf("violation = %+v", v)
	}
}

func testReferencePayloads(t *testing.T, engine string) {
	b := setup(t, engine, "")
	for _, stream := range usher.Streams {
		body, err := os.ReadFile(filepath.Join("..", "..", "testdata", "s360", string(stream)+".json"))
		if err != nil {
			t.Fatal(err)
		}
		r, err := b.svc.Ingest(context.Background(), strictPolicy, stream, body)
		if err != nil || r.Stored == 0 || r.Quarantined != 0 {
			t.Errorf("%s: receipt %+v, err %v; want all stored", stream, r, err)
		}
	}
}

func counter(t *testing.T, m *metrics.Ingest, institution, outcome string) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Documents.WithLabelValues("ticketchecks", institution, outcome).Write(&d); err != nil {
		t.Fatal(err)
	}
	return d.GetCounter().GetValue()
}
