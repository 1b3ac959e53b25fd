package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
	fx "github.com/usher-hub/usher/internal/analytics/analyticstest"
)

// RunAnalytics checks every report against figures computed by hand from
// the analyticstest fixture (its package comment lists the venue), and
// that the projections behind them follow ingest whatever the arrival
// order, versions and duplicates.
func RunAnalytics(t *testing.T, open OpenFunc) {
	onStore(t, open, "ReportsMatchHandComputedFigures", func(t *testing.T, s usher.Store) {
		save(t, s, fx.All(t, fx.Institution))
		checkFixtureReports(t, s)
	})

	onStore(t, open, "ChecksBeforeTheirOrders", func(t *testing.T, s usher.Store) {
		// Pushes are independent: checks often arrive before the order
		// that sold the ticket. They wait as unmatched, then move.
		save(t, s, fx.Checks(t, fx.Institution))
		unmatched := breakdown(t, s, month(usher.ByProduct))
		want := []usher.BreakdownRow{{Period: fx.Day(1), Matched: false, In: 7, Out: 2, Failed: 3}}
		same(t, "breakdown before orders", unmatched, want)
		save(t, s, fx.Orders(t, fx.Institution))
		save(t, s, fx.Contacts(t, fx.Institution))
		checkFixtureReports(t, s)
	})

	onStore(t, open, "DuplicatesCountOnce", func(t *testing.T, s usher.Store) {
		save(t, s, fx.All(t, fx.Institution))
		save(t, s, fx.All(t, fx.Institution))
		checkFixtureReports(t, s)
	})

	onStore(t, open, "NewOrderVersionReplacesTheOld", orderVersions)

	onStore(t, open, "RebuildMatchesIngest", func(t *testing.T, s usher.Store) {
		save(t, s, fx.Checks(t, fx.Institution))
		save(t, s, fx.All(t, "othervenue"))
		save(t, s, fx.Orders(t, fx.Institution))
		save(t, s, fx.Contacts(t, fx.Institution))
		rebuild(t, s, fx.Institution)
		checkFixtureReports(t, s)
		rebuild(t, s, "othervenue")
		checkFixtureReports(t, s)
	})

	onStore(t, open, "RebuildMatchesIngestOnOddData", func(t *testing.T, s usher.Store) {
		// Versions, a movement claimed by two orders, an order without
		// lines and values of the wrong type: whatever ingest made of
		// them, a rebuild makes the same.
		orderVersions(t, s)
		save(t, s, oddDocuments(t))
		thief := fx.Order(t, fx.Institution, 10000000099, "CLOSED", "SALE", "2023-02-11T10:00:00.000+01:00",
			fx.Operation{Product: "Egypt", Event: "Egypt 11.02.2023", Quantity: 1, UnitPrice: 5000,
				Movements: []fx.Movement{{ID: 202, Type: "SALE", Amount: 5000, Audience: "STUDENT", Category: "INVITED"}}})
		save(t, s, []usher.Document{thief})
		before := snapshot(t, s)
		rebuild(t, s, fx.Institution)
		if after := snapshot(t, s); after != before {
			t.Errorf("reports after a rebuild differ from ingest's:\n--- ingest\n%s\n--- rebuild\n%s", before, after)
		}
	})

	onStore(t, open, "InstitutionsAreSeparate", func(t *testing.T, s usher.Store) {
		save(t, s, fx.All(t, fx.Institution))
		save(t, s, fx.Orders(t, "othervenue"))
		checkFixtureReports(t, s)
		q := month(usher.ByAll)
		q.Institution = "othervenue"
		if got := attendance(t, s, q); len(got) != 0 {
			t.Fatalf("othervenue attendance = %+v, want none: it sent no checks", got)
		}
	})

	onStore(t, open, "OddValuesNeverBlockIngest", oddValues)

	onStore(t, open, "IngestHealth", ingestHealth)

	onStore(t, open, "RefusesWhatAReportCannotGroupBy", refusedQueries)
}

// refusedQueries checks that a report asked for an interval or a
// breakdown it does not have answers EINVALID, and that the defaults
// hold: sales in all, gates per gate, breakdown per product.
func refusedQueries(t *testing.T, s usher.Store) {
	ctx := context.Background()
	save(t, s, fx.All(t, fx.Institution))
	hourly := query(usher.IntervalHour, "")
	for name, run := range map[string]func(usher.ReportQuery) error{
		"sales":     func(q usher.ReportQuery) error { _, err := s.ReportSales(ctx, q); return err },
		"gates":     func(q usher.ReportQuery) error { _, err := s.ReportGates(ctx, q); return err },
		"breakdown": func(q usher.ReportQuery) error { _, err := s.ReportBreakdown(ctx, q); return err },
		"contacts":  func(q usher.ReportQuery) error { _, err := s.ReportContacts(ctx, q); return err },
	} {
		if err := run(hourly); usher.ErrorCode(err) != usher.EINVALID {
			t.Errorf("%s per hour: %v, want %s", name, err, usher.EINVALID)
		}
	}
	if _, err := s.ReportAttendance(ctx, query("fortnight", "")); usher.ErrorCode(err) != usher.EINVALID {
		t.Errorf("attendance per fortnight: %v, want %s", err, usher.EINVALID)
	}
	if _, err := s.ReportGates(ctx, month(usher.ByProduct)); usher.ErrorCode(err) != usher.EINVALID {
		t.Errorf("gates per product: %v, want %s", err, usher.EINVALID)
	}
	if _, err := s.ReportBreakdown(ctx, month(usher.ByGate)); usher.ErrorCode(err) != usher.EINVALID {
		t.Errorf("breakdown per gate: %v, want %s", err, usher.EINVALID)
	}
	same(t, "sales by default", sales(t, s, month("")), sales(t, s, month(usher.ByAll)))
	same(t, "gates by default", gates(t, s, month("")), gates(t, s, month(usher.ByGate)))
	same(t, "breakdown by default", breakdown(t, s, month("")), breakdown(t, s, month(usher.ByProduct)))
}

// onStore runs fn as the subtest name, in parallel with the others, on a
// store of its own.
func onStore(t *testing.T, open OpenFunc, name string, fn func(t *testing.T, s usher.Store)) {
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		fn(t, open(t))
	})
}

// checkFixtureReports asserts every report of the full fixture.
func checkFixtureReports(t *testing.T, s usher.Store) {
	t.Helper()
	checkSales(t, s)
	checkAttendance(t, s)
	checkGates(t, s)
	checkBreakdown(t, s)
	checkContacts(t, s)
}

func checkSales(t *testing.T, s usher.Store) {
	t.Helper()
	daily := sales(t, s, query(usher.IntervalDay, usher.ByAll))
	if daily.Currency != "CHF" {
		t.Errorf("currency = %q, want CHF", daily.Currency)
	}
	same(t, "sales per day", daily.Rows, []usher.SalesRow{
		{Period: fx.Day(9), Orders: 2, Tickets: 5, Gross: 69000},
		{Period: fx.Day(10), RefundOrders: 1, Tickets: -1, Refunded: 10000, AbandonedOrders: 1, AbandonedAmount: 24000},
		{Period: fx.Day(13), PendingOrders: 1},
		{Period: fx.Day(14), Orders: 1, Tickets: 3, Gross: 36000},
	})
	same(t, "sales per week", sales(t, s, query(usher.IntervalWeek, usher.ByAll)).Rows, []usher.SalesRow{
		{Period: fx.Day(6), Orders: 2, RefundOrders: 1, Tickets: 4, Gross: 69000, Refunded: 10000, AbandonedOrders: 1, AbandonedAmount: 24000},
		{Period: fx.Day(13), Orders: 1, Tickets: 3, Gross: 36000, PendingOrders: 1},
	})
	same(t, "sales per product", sales(t, s, month(usher.ByProduct)).Rows, []usher.SalesRow{
		{Period: fx.Day(1), Label: "Dinosaurs", Orders: 2, Tickets: 5, Gross: 60000, AbandonedOrders: 1, AbandonedAmount: 24000, PendingOrders: 1},
		{Period: fx.Day(1), Label: "Permanent Collection", Orders: 2, RefundOrders: 1, Tickets: 2, Gross: 45000, Refunded: 10000},
	})
	same(t, "sales per event", sales(t, s, month(usher.ByEvent)).Rows, []usher.SalesRow{
		{Period: fx.Day(1), Label: "Dinosaurs 10.02.2023", Orders: 1, Tickets: 2, Gross: 24000, AbandonedOrders: 1, AbandonedAmount: 24000},
		{Period: fx.Day(1), Label: "Dinosaurs 14.02.2023", Orders: 1, Tickets: 3, Gross: 36000, PendingOrders: 1},
		{Period: fx.Day(1), Label: "Permanent Collection 09.02.2023", Orders: 2, RefundOrders: 1, Tickets: 2, Gross: 45000, Refunded: 10000},
	})
	one := query(usher.IntervalDay, usher.ByAll)
	one.From, one.To = fx.Day(10), fx.Day(10)
	same(t, "sales of one day (bounds included)", sales(t, s, one).Rows, []usher.SalesRow{
		{Period: fx.Day(10), RefundOrders: 1, Tickets: -1, Refunded: 10000, AbandonedOrders: 1, AbandonedAmount: 24000},
	})
}

func checkAttendance(t *testing.T, s usher.Store) {
	t.Helper()
	hourly := query(usher.IntervalHour, "")
	hourly.From, hourly.To = fx.Day(9), fx.Day(9)
	same(t, "attendance per hour", attendance(t, s, hourly), []usher.AttendanceRow{
		{Period: hour(9, 9), In: 2, Failed: 1},
		{Period: hour(9, 11), In: 3, Failed: 1},
		{Period: hour(9, 12), Out: 1},
		{Period: hour(9, 16), Out: 1},
	})
	same(t, "attendance per day", attendance(t, s, query(usher.IntervalDay, "")), []usher.AttendanceRow{
		{Period: fx.Day(9), In: 5, Out: 2, Failed: 2},
		{Period: fx.Day(10), In: 1, Failed: 1},
		{Period: fx.Day(14), In: 1},
	})
	same(t, "attendance per week", attendance(t, s, query(usher.IntervalWeek, "")), []usher.AttendanceRow{
		{Period: fx.Day(6), In: 6, Out: 2, Failed: 3},
		{Period: fx.Day(13), In: 1},
	})
}

func checkGates(t *testing.T, s usher.Store) {
	t.Helper()
	byGate := gates(t, s, query(usher.IntervalDay, usher.ByGate))
	same(t, "gates per day", byGate.Rows, []usher.GateRow{
		{Period: fx.Day(9), Group: "North", Checks: 5, Failed: 1},
		{Period: fx.Day(9), Group: "South", Checks: 4, Failed: 1},
		{Period: fx.Day(10), Group: "", Checks: 2, Failed: 1},
		{Period: fx.Day(14), Group: "", Checks: 1},
	})
	same(t, "failure reasons per gate", byGate.Reasons, []usher.FailureReasonRow{
		{Period: fx.Day(9), Group: "North", Reason: "NO_MORE_ENTRY_ALLOWED_TODAY", Checks: 1},
		{Period: fx.Day(9), Group: "South", Reason: "INVALID_BARCODE", Checks: 1},
		{Period: fx.Day(10), Group: "", Reason: "ALREADY_USED", Checks: 1},
	})
	byFlow := gates(t, s, month(usher.ByFlow))
	same(t, "gates per flow", byFlow.Rows, []usher.GateRow{
		{Period: fx.Day(1), Group: "IN", Checks: 10, Failed: 3},
		{Period: fx.Day(1), Group: "OUT", Checks: 2},
	})
	same(t, "failure reasons per flow", byFlow.Reasons, []usher.FailureReasonRow{
		{Period: fx.Day(1), Group: "IN", Reason: "ALREADY_USED", Checks: 1},
		{Period: fx.Day(1), Group: "IN", Reason: "INVALID_BARCODE", Checks: 1},
		{Period: fx.Day(1), Group: "IN", Reason: "NO_MORE_ENTRY_ALLOWED_TODAY", Checks: 1},
	})
}

func checkBreakdown(t *testing.T, s usher.Store) {
	t.Helper()
	same(t, "breakdown per product and day", breakdown(t, s, query(usher.IntervalDay, usher.ByProduct)), []usher.BreakdownRow{
		{Period: fx.Day(9), Matched: true, Label: "Dinosaurs", In: 1},
		{Period: fx.Day(9), Matched: true, Label: "Permanent Collection", In: 3, Out: 2, Failed: 1},
		{Period: fx.Day(9), Matched: false, In: 1, Failed: 1},
		{Period: fx.Day(10), Matched: true, Label: "Dinosaurs", In: 1, Failed: 1},
		{Period: fx.Day(14), Matched: false, In: 1},
	})
	same(t, "breakdown per audience", breakdown(t, s, month(usher.ByAudience)), []usher.BreakdownRow{
		{Period: fx.Day(1), Matched: true, Label: "ADULT", In: 4, Out: 1, Failed: 2},
		{Period: fx.Day(1), Matched: true, Label: "CHILD", In: 1, Out: 1},
		{Period: fx.Day(1), Matched: false, In: 2, Failed: 1},
	})
	same(t, "breakdown per category", breakdown(t, s, month(usher.ByCategory)), []usher.BreakdownRow{
		{Period: fx.Day(1), Matched: true, Label: "MEMBER", In: 3, Failed: 1},
		{Period: fx.Day(1), Matched: true, Label: "OCCASIONAL", In: 2, Out: 2, Failed: 1},
		{Period: fx.Day(1), Matched: false, In: 2, Failed: 1},
	})
}

func checkContacts(t *testing.T, s usher.Store) {
	t.Helper()
	same(t, "contacts per day", contacts(t, s, query(usher.IntervalDay, "")), []usher.ContactsRow{
		{Period: fx.Day(9), NewPersons: 1, NewCompanies: 1},
		{Period: fx.Day(10), UpdatedPersons: 1},
		{Period: fx.Day(13), NewPersons: 1},
		{Period: fx.Day(14), UpdatedPersons: 2},
	})
	since := month("")
	since.From = time.Date(2022, 11, 1, 0, 0, 0, 0, time.UTC)
	same(t, "contacts per month", contacts(t, s, since), []usher.ContactsRow{
		{Period: since.From, NewPersons: 1},
		{Period: fx.Day(1), NewPersons: 2, NewCompanies: 1, UpdatedPersons: 3},
	})
}

// orderVersions changes O1's child ticket into a senior one in a newer
// version, then receives a late, older version that must not win.
func orderVersions(t *testing.T, s usher.Store) {
	save(t, s, fx.All(t, fx.Institution))
	pc := "Permanent Collection"
	version := func(audience string, amount int64, upstream time.Time) usher.Document {
		d := fx.Order(t, fx.Institution, 10000000001, "CLOSED", "SALE", "2023-02-09T09:15:00.000+01:00",
			fx.Operation{Product: pc, Event: pc + " 09.02.2023", Quantity: 2, UnitPrice: 20000, Movements: []fx.Movement{
				{ID: 101, Type: "SALE", Amount: 20000, Audience: "ADULT", Category: "OCCASIONAL"},
				{ID: 102, Type: "SALE", Amount: amount, Audience: audience, Category: "OCCASIONAL"}}})
		d.UpstreamUpdatedAt = &upstream
		return d
	}
	save(t, s, []usher.Document{version("SENIOR", 12000, fx.Now)})
	save(t, s, []usher.Document{version("STALE", 99000, fx.Now.Add(-time.Hour))})

	daily := sales(t, s, query(usher.IntervalDay, usher.ByAll)).Rows
	same(t, "sales of the 9th after the new version", daily[0], usher.SalesRow{Period: fx.Day(9), Orders: 2, Tickets: 5, Gross: 71000})
	same(t, "breakdown per audience after the new version", breakdown(t, s, month(usher.ByAudience)), []usher.BreakdownRow{
		{Period: fx.Day(1), Matched: true, Label: "ADULT", In: 4, Out: 1, Failed: 2},
		{Period: fx.Day(1), Matched: true, Label: "SENIOR", In: 1, Out: 1},
		{Period: fx.Day(1), Matched: false, In: 2, Failed: 1},
	})
	checkAttendance(t, s)
}

// oddDocuments are documents with values of the wrong type: an
// impossible date, operations that are not an array, a movement id that
// is text, a gate that is an object, a contact type that is an array.
func oddDocuments(t *testing.T) []usher.Document {
	odd := fx.Order(t, fx.Institution, 77, "CLOSED", "SALE", "2023-02-09T09:15:00.000+01:00")
	odd.Raw = []byte(`{"orderDetailsData":{"orderId":77,"creationDateTime":"2023-02-31T99:00","operationDatas":{"not":"an array"}}}`)
	odd2 := fx.Order(t, fx.Institution, 78, "CLOSED", "SALE", "2023-02-09T09:15:00.000+01:00")
	odd2.Raw = []byte(`{"orderDetailsData":{"orderId":78,"creationDateTime":"2023-02-09","operationDatas":[7,{"product":{"x":1},"movementDatas":[{"movementId":"abc","amount":"12.5x"},{"movementId":1e40,"amount":1}]}]}}`)
	check := fx.Check(t, fx.Institution, 90, 5, "2023-02-09 10:00:00", "IN", "OK", "NO_FAIL", "")
	check.Raw = []byte(`{"ticket_check_id":90,"gate":{"nested":true},"access_time":"2023-02-09 10:00:00"}`)
	contact := fx.Contact(t, fx.Institution, "K9", false, "2023-02-09T08:00:00.000+01:00", "2023-02-09T08:00:00.000+01:00")
	contact.Raw = []byte(`{"contactNumber":"K9","creationDate":12,"type":["odd"]}`)
	return []usher.Document{odd, odd2, check, contact}
}

// oddValues stores the odd documents in an empty store: ingest must
// succeed (validation, not the projection, judges documents) and reports
// must stay readable.
func oddValues(t *testing.T, s usher.Store) {
	save(t, s, oddDocuments(t))
	day := query(usher.IntervalDay, usher.ByAll)
	day.From, day.To = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := sales(t, s, day).Rows; len(got) == 0 {
		t.Fatal("odd orders left no sales row: they must still count as orders")
	}
	if got := attendance(t, s, day); len(got) != 1 || got[0].In != 1 {
		t.Fatalf("attendance = %+v, want the odd check counted", got)
	}
	if got := contacts(t, s, day); len(got) != 1 || got[0].NewPersons != 1 {
		t.Fatalf("contacts = %+v, want the odd contact counted as a new person", got)
	}
}

func ingestHealth(t *testing.T, s usher.Store) {
	before := time.Now().Add(-time.Minute)
	save(t, s, fx.All(t, fx.Institution))
	got, err := s.IngestHealth(context.Background(), fx.Institution, before)
	if err != nil {
		t.Fatal(err)
	}
	want := map[usher.Stream]int64{usher.StreamContacts: 7, usher.StreamOrders: 6, usher.StreamTicketChecks: 12}
	if len(got) != len(want) {
		t.Fatalf("health = %+v, want one row per stream", got)
	}
	for _, h := range got {
		if h.ReceivedSince != want[h.Stream] || h.LastReceivedAt == nil || h.LastReceivedAt.Before(before) {
			t.Errorf("%s: received %d, last %v; want %d since %v", h.Stream, h.ReceivedSince, h.LastReceivedAt, want[h.Stream], before)
		}
	}
	later, err := s.IngestHealth(context.Background(), fx.Institution, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range later {
		if h.ReceivedSince != 0 {
			t.Errorf("%s: %d documents received in the future", h.Stream, h.ReceivedSince)
		}
	}
	// A payload whose only document was quarantined is a push all the same.
	bad := usher.QuarantinedDocument{Institution: "quarantineonly", Stream: usher.StreamOrders, DocType: "order", ExternalID: "1",
		Hash: "sha256:q", Raw: []byte(`{"orderDetailsData":{}}`), SchemaVersion: "test", Violations: []usher.Violation{{Path: "/x", Message: "bad"}}}
	if _, err := s.SaveDocumentsAndQuarantine(context.Background(), nil, []usher.QuarantinedDocument{bad}); err != nil {
		t.Fatal(err)
	}
	qonly, err := s.IngestHealth(context.Background(), "quarantineonly", before)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range qonly {
		if (h.Stream == usher.StreamOrders) != (h.LastReceivedAt != nil) {
			t.Errorf("quarantined-only %s: last push %v; want one for orders only", h.Stream, h.LastReceivedAt)
		}
	}
	none, err := s.IngestHealth(context.Background(), "nobody", before)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range none {
		if h.LastReceivedAt != nil || h.ReceivedSince != 0 {
			t.Errorf("unknown institution has %s health %+v", h.Stream, h)
		}
	}
}

func rebuild(t *testing.T, s usher.Store, institution string) {
	t.Helper()
	if err := s.RebuildAnalytics(context.Background(), institution); err != nil {
		t.Fatalf("rebuild %s: %v", institution, err)
	}
}

// snapshot renders every report of the fixture venue, over all time.
func snapshot(t *testing.T, s usher.Store) string {
	t.Helper()
	all := func(by string) usher.ReportQuery {
		q := query(usher.IntervalDay, by)
		q.From, q.To = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
		return q
	}
	out := fmt.Sprintf("%+v\n%+v\n", attendance(t, s, all("")), contacts(t, s, all("")))
	for _, by := range []string{usher.ByAll, usher.ByProduct, usher.ByEvent} {
		out += fmt.Sprintf("sales %s %+v\n", by, sales(t, s, all(by)))
	}
	for _, by := range []string{usher.ByGate, usher.ByFlow} {
		out += fmt.Sprintf("gates %s %+v\n", by, gates(t, s, all(by)))
	}
	for _, by := range []string{usher.ByProduct, usher.ByAudience, usher.ByCategory} {
		out += fmt.Sprintf("breakdown %s %+v\n", by, breakdown(t, s, all(by)))
	}
	return out
}

func query(iv usher.Interval, by string) usher.ReportQuery {
	return usher.ReportQuery{Institution: fx.Institution, From: fx.Day(1), To: fx.Day(28), Interval: iv, By: by}
}

func month(by string) usher.ReportQuery { return query(usher.IntervalMonth, by) }

func hour(day, h int) time.Time { return time.Date(2023, 2, day, h, 0, 0, 0, time.UTC) }

// save stores docs and lets the projector apply them, as the server's
// projector does shortly after each payload.
func save(t *testing.T, s usher.Store, docs []usher.Document) {
	t.Helper()
	if _, err := s.SaveDocuments(context.Background(), docs); err != nil {
		t.Fatalf("save: %v", err)
	}
	project(t, s, 1000)
}

// project applies the analytics queue until it is empty, orderLimit
// orders per call.
func project(t *testing.T, s usher.Store, orderLimit int) {
	t.Helper()
	if err := analytics.CatchUp(context.Background(), s, orderLimit, 10_000); err != nil {
		t.Fatalf("project: %v", err)
	}
}

// The reports, each run for q on s, failing t on an error.
var (
	sales      = reportOf("sales", usher.Store.ReportSales)
	attendance = reportOf("attendance", usher.Store.ReportAttendance)
	gates      = reportOf("gates", usher.Store.ReportGates)
	breakdown  = reportOf("breakdown", usher.Store.ReportBreakdown)
	contacts   = reportOf("contacts", usher.Store.ReportContacts)
)

// reportOf returns a runner of the report called name.
func reportOf[T any](name string, run func(usher.Store, context.Context, usher.ReportQuery) (T, error)) func(*testing.T, usher.Store, usher.ReportQuery) T {
	return func(t *testing.T, s usher.Store, q usher.ReportQuery) T {
		t.Helper()
		r, err := run(s, ctx, q)
		if err != nil {
			t.Fatalf("%s report: %v", name, err)
		}
		return r
	}
}

// same fails t when got differs from want, printing both in full.
func same[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %s\nwant %s", what, dump(got), dump(want))
	}
}

func dump(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return fmt.Sprintf("%+v", v)
	}
	out := ""
	for i := range rv.Len() {
		out += fmt.Sprintf("\n   %+v", rv.Index(i).Interface())
	}
	return out
}
