package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/usher-hub/usher"
)

func TestBuiltinsCoverEveryDocumentType(t *testing.T) {
	r, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{usher.DocCentamanBooking, usher.DocCentamanMember, usher.DocCentamanMembershipType,
		usher.DocCentamanTimedTicket, usher.DocCentamanTimedTicketType,
		usher.DocS360Contact, usher.DocS360Order, usher.DocS360TicketCheck}
	if got := strings.Join(r.Types(), " "); got != strings.Join(want, " ") {
		t.Fatalf("built-in types = %s, want %s", got, strings.Join(want, " "))
	}
	for _, typ := range want {
		declared := map[string]string{usher.DocS360Order: "2"}[typ]
		if declared == "" {
			declared = "1"
		}
		if v := r.SchemaVersion("myvenue", typ); !strings.HasPrefix(v, declared+" (built-in/"+typ+".yaml, sha256:") {
			t.Errorf("version of %s = %q", typ, v)
		}
	}
}

// TestReferencePayloadsValidate checks the shared S-360 reference payloads
// and Centaman samples built from the upstream notes against the built-in
// schemas, and that they carry no field the schemas do not know.
func TestReferencePayloadsValidate(t *testing.T) {
	r, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"../../testdata/s360/contacts.json":       usher.DocS360Contact,
		"../../testdata/s360/orders.json":         usher.DocS360Order,
		"../../testdata/s360/ticketchecks.json":   usher.DocS360TicketCheck,
		"testdata/centaman/members.json":          usher.DocCentamanMember,
		"testdata/centaman/sessions.json":         usher.DocCentamanTimedTicketType,
		"testdata/centaman/bookings.json":         usher.DocCentamanBooking,
		"testdata/centaman/price_lists.json":      usher.DocCentamanTimedTicket,
		"testdata/centaman/membership_types.json": usher.DocCentamanMembershipType,
	}
	for file, typ := range files {
		for i, doc := range readArray(t, file) {
			s, _ := r.Lookup("myvenue", typ)
			vs, unknown := s.Check(doc)
			if len(vs) != 0 || len(unknown) != 0 {
				t.Errorf("%s[%d] (%s): violations %v, unknown fields %v", file, i, typ, vs, unknown)
			}
		}
	}
}

func readArray(t testing.TB, file string) []json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var docs []json.RawMessage
	if err := json.Unmarshal(data, &docs); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(docs) == 0 {
		t.Fatalf("%s holds no documents", file)
	}
	return docs
}

func TestCentamanMemberCodeMessage(t *testing.T) {
	r, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	vs := r.Validate("myvenue", usher.DocCentamanMember, []byte(`{"MemberCode": "A12", "MemberNumber": 3}`))
	if got := render(vs); len(got) != 1 || got[0] != `$.MemberCode: expected integer, got string "A12"` {
		t.Fatalf("violations = %q", got)
	}
}

// TestCentamanDocumentsTheSiteReads refuses Centaman documents that lack,
// or mistype, a field the website layer reads.
func TestCentamanDocumentsTheSiteReads(t *testing.T) {
	r, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ typ, doc, want string }{
		{usher.DocCentamanTimedTicket, `[{"TicketId": 1, "TicketDescription": "Adult", "TicketPrice": "9"}]`,
			`$[0].TicketPrice: expected number, got string "9"`},
		{usher.DocCentamanTimedTicket, `{"TicketId": 1, "TicketDescription": "Adult", "TicketPrice": 9}`,
			"$: expected list, got object"},
		{usher.DocCentamanMembershipType, `{"MembershipCode": 11, "MembershipDescription": "Individual"}`,
			"$.Cost: required field is missing (expected number)"},
		{usher.DocCentamanMembershipType, `{"MembershipCode": 11, "MembershipDescription": "Individual", "Cost": 95, "SortSequenceNumber": "1"}`,
			`$.SortSequenceNumber: expected integer, got string "1"`},
		{usher.DocCentamanTimedTicketType, `{"TimedTicketTypeId": 1, "BookingTypeId": 2, "StartDate": "2026-05-02", "StartTime": "14:30", "EndTime": "15:30", "Capacity": 20}`,
			"$.vacancy: required field is missing (expected integer)"},
	}
	for _, tt := range tests {
		got := render(r.Validate("myvenue", tt.typ, []byte(tt.doc)))
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s %s: violations %q, want %q", tt.typ, tt.doc, got, tt.want)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOverridesPerInstitutionThenDirectoryThenBuiltin(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "s360.ticketcheck.yaml"), "type: s360.ticketcheck\nversion: 2\ndocument:\n  ticket_check_id: int\n  check_flow: enum(IN, OUT, EXIT)\n")
	writeFile(t, filepath.Join(dir, "venue-b", "s360.ticketcheck.yaml"), "type: s360.ticketcheck\nversion: 3\ndocument:\n  ticket_check_id: string\n")
	writeFile(t, filepath.Join(dir, "README.md"), "not a schema")
	r, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	exit := []byte(`{"ticket_check_id": 1, "check_flow": "EXIT"}`)
	if vs := r.Validate("venue-a", usher.DocS360TicketCheck, exit); len(vs) != 0 {
		t.Fatalf("directory-wide override not used for venue-a: %v", vs)
	}
	if vs := r.Validate("venue-b", usher.DocS360TicketCheck, exit); len(vs) != 1 || vs[0].Path != "$.ticket_check_id" {
		t.Fatalf("venue-b override not used: %v", vs)
	}
	if v := r.SchemaVersion("venue-b", usher.DocS360TicketCheck); !strings.HasPrefix(v, "3 (schema_dir/venue-b/s360.ticketcheck.yaml") {
		t.Fatalf("venue-b version = %q", v)
	}
	if v := r.SchemaVersion("venue-a", usher.DocS360Contact); !strings.HasPrefix(v, "1 (built-in/") {
		t.Fatalf("contact should stay built-in, version = %q", v)
	}
}

func TestLoadRejectsBadOverrides(t *testing.T) {
	tests := []struct{ name, file, content, want string }{
		{"unknown type", "s360.contact.yaml", "type: s360.contact\nversion: 1\ndocument:\n  a: integer\n", `line 4: $.a: unknown type "integer"`},
		{"type and file differ", "s360.order.yaml", "type: s360.contact\nversion: 1\ndocument:\n  a: int\n", `declares type "s360.contact" but its file is named for "s360.order"`},
		{"no version", "x.yaml", "type: x\ndocument:\n  a: int\n", "missing version"},
		{"optional as modifier", "x.yaml", "type: x\nversion: 1\ndocument:\n  a: int, optional\n", `write an optional field with "?"`},
		{"empty on int", "x.yaml", "type: x\nversion: 1\ndocument:\n  a: int, empty\n", "modifier empty applies to string types"},
		{"two-item list", "x.yaml", "type: x\nversion: 1\ndocument:\n  a: [int, string]\n", "exactly one item"},
		{"unknown top-level key", "x.yaml", "type: x\nversion: 1\nfields:\n  a: int\n", "field fields not found"},
		{"duplicate field", "x.yaml", "type: x\nversion: 1\ndocument:\n  a: int\n  a?: string\n", `field "a" is listed twice`},
		{"key outside a list", "x.yaml", "type: x\nversion: 1\ndocument:\n  a: int, key\n", `field "a" is marked key, which names what identifies an element of a list: $ is not`},
		{"two keys", "x.yaml", "type: x\nversion: 1\ndocument:\n  l:\n    - a: int, key\n      b: string, key\n", `fields "a" and "b" are both marked key`},
		{"key on a bool", "x.yaml", "type: x\nversion: 1\ndocument:\n  l:\n    - a: bool, key\n", "modifier key applies to int, string and enum fields, not bool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, tt.file), tt.content)
			_, err := Load(dir, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing"), nil); err == nil {
		t.Fatal("a missing schema_dir must fail startup")
	}
}

func TestDriftIsReportedOncePerField(t *testing.T) {
	var logs bytes.Buffer
	counter := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "usher_schema_unknown_fields_total"}, []string{"institution", "doc_type"})
	r, err := Load("", NewDriftReporter(slog.New(slog.NewTextHandler(&logs, nil)), counter))
	if err != nil {
		t.Fatal(err)
	}
	doc := []byte(`{"ticket_check_id":1,"movement_id":2,"ticket_id":3,"barcode":"0","access_time":"2023-02-09 18:25:10",
		"check_flow":"IN","result":"OK","failure_reason":"NO_FAIL","gate":"north","lane":2}`)
	for range 3 {
		if vs := r.Validate("venue-a", usher.DocS360TicketCheck, doc); len(vs) != 0 {
			t.Fatalf("unknown fields made the document invalid: %v", vs)
		}
	}
	r.Validate("venue-b", usher.DocS360TicketCheck, doc)
	if got := counterValue(t, counter.WithLabelValues("venue-a", usher.DocS360TicketCheck)); got != 2 {
		t.Fatalf("venue-a unknown fields counted %v times, want 2 (gate, lane once each)", got)
	}
	if got := counterValue(t, counter.WithLabelValues("venue-b", usher.DocS360TicketCheck)); got != 2 {
		t.Fatalf("venue-b counted %v, want 2", got)
	}
	if n := strings.Count(logs.String(), "field=$.<unknown>"); n != 2 {
		t.Fatalf("$.<unknown> logged %d times, want once per institution:\n%s", n, logs.String())
	}
}

// TestDriftLogsNoUnknownName: a field name can carry personal data (a map
// keyed by e-mail address), so drift logs the path with the unknown name
// replaced; it was logged verbatim (issue 16).
func TestDriftLogsNoUnknownName(t *testing.T) {
	var logs bytes.Buffer
	r, err := Load("", NewDriftReporter(slog.New(slog.NewTextHandler(&logs, nil)), nil))
	if err != nil {
		t.Fatal(err)
	}
	doc := []byte(`{"contactNumber":"1","jane.doe@example.com":{"visits":3},"individualContact":{"firstName":"Jane","Jane Doe":1},
		"janeDoeNotes":"x"}`)
	if vs := r.Validate("venue-a", usher.DocS360Contact, doc); len(vs) != 0 {
		t.Fatalf("unknown fields made the document invalid: %v", vs)
	}
	out := logs.String()
	for _, name := range []string{"jane", "Jane", "visits"} {
		if strings.Contains(out, name) {
			t.Fatalf("drift log names the field %q:\n%s", name, out)
		}
	}
	for _, want := range []string{"field=$.<unknown>", "field=$.individualContact.<unknown>"} {
		if strings.Count(out, want+" ") != 1 {
			t.Fatalf("drift log lacks %s once:\n%s", want, out)
		}
	}
}

func TestDriftBookkeepingIsBounded(t *testing.T) {
	var logs bytes.Buffer
	d := NewDriftReporter(slog.New(slog.NewTextHandler(&logs, nil)), nil)
	s := &Schema{Type: "x"}
	paths := make([]string, maxDriftKeys+10)
	for i := range paths {
		paths[i] = "$.field" + strconv.Itoa(i)
	}
	d.Report("v", s, paths)
	if len(d.seen) != maxDriftKeys || !strings.Contains(logs.String(), "no longer reporting") {
		t.Fatalf("seen %d keys, want the cap %d and a warning", len(d.seen), maxDriftKeys)
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func TestArrayKeys(t *testing.T) {
	r, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := r.ArrayKeys("myvenue", usher.DocS360Order)
	want := map[string]string{
		"$.orderDetailsData.operationDatas":                                 "operationId",
		"$.orderDetailsData.operationDatas[*].movementDatas":                "movementId",
		"$.orderDetailsData.operationDatas[*].movementDatas[*].ticketDatas": "ticketId",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("order keys = %v, want %v", got, want)
	}
	if got := r.ArrayKeys("myvenue", usher.DocS360Contact); len(got) != 0 {
		t.Fatalf("contact keys = %v, want none", got)
	}
	if got := r.ArrayKeys("myvenue", "no.such.type"); got != nil {
		t.Fatalf("keys of an unknown type = %v, want none", got)
	}
	// An override's keys replace the built-in ones for its institution.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "venue-a", "s360.order.yaml"), "type: s360.order\nversion: 9\ndocument:\n  lines:\n    - sku: string, key\n      qty: int\n")
	if r, err = Load(dir, nil); err != nil {
		t.Fatal(err)
	}
	if got := r.ArrayKeys("venue-a", usher.DocS360Order); fmt.Sprint(got) != "map[$.lines:sku]" {
		t.Fatalf("override keys = %v", got)
	}
}
