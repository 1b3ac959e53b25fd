package analytics_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
	fx "github.com/usher-hub/usher/internal/analytics/analyticstest"
	"github.com/usher-hub/usher/internal/httpapi"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/testdb"
)

const (
	venueKey = "key-for-myvenue-only"
	otherKey = "key-for-othervenue-only"
	adminKey = "admin-key-for-everything"
)

// newServer serves the analytics API over a real store of engine holding
// the fixture venue, on a real loopback HTTP server.
func newServer(t testing.TB, engine string) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, testdb.DSN(t, engine), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fx.Save(t, st, fx.All(t, fx.Institution))
	svc := analytics.NewService(st, func() time.Time { return fx.Now }, fx.Zone)
	keys := httpapi.NewAPIKeys([]usher.APIKey{
		{Name: "venue", Secret: venueKey, Institutions: []string{fx.Institution}},
		{Name: "other", Secret: otherKey, Institutions: []string{"othervenue"}},
		{Name: "admin", Secret: adminKey, Institutions: []string{"*"}},
	})
	mux := http.NewServeMux()
	analytics.NewHandler(svc, []string{fx.Institution, "othervenue"}, slog.New(slog.DiscardHandler)).Mount(mux, keys)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t testing.TB, srv *httptest.Server, path, key string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func decode(t testing.TB, resp *http.Response, v any) {
	t.Helper()
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode: %v", err)
	}
}

func TestSalesAsJSON(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			srv := newServer(t, engine)
			resp := get(t, srv, "/api/v1/analytics/myvenue/sales?from=2023-02-09&to=2023-02-14", venueKey)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			var body struct {
				Currency string
				Interval string
				Rows     []map[string]any
			}
			decode(t, resp, &body)
			if body.Currency != "CHF" || body.Interval != "day" || len(body.Rows) != 6 {
				t.Fatalf("currency %q, interval %q, %d rows; want CHF, day and one row per day (6)", body.Currency, body.Interval, len(body.Rows))
			}
			nineth, tenth, twelfth := body.Rows[0], body.Rows[1], body.Rows[3]
			want := map[string]string{"orders": "2", "tickets": "5", "gross": "69.00", "revenue": "69.00"}
			for k, v := range want {
				if fmt.Sprint(nineth[k]) != v {
					t.Errorf("9th %s = %s, want %s (money in currency units, exact)", k, nineth[k], v)
				}
			}
			if fmt.Sprintf("%v %v %v", tenth["revenue"], tenth["abandoned_orders"], tenth["abandoned_amount"]) != "-10.00 1 24.00" {
				t.Errorf("10th = %v, want revenue -10.00 netted and the abandoned order apart", tenth)
			}
			if fmt.Sprint(twelfth["orders"]) != "0" {
				t.Errorf("12th = %v, want a zero row for a day without sales", twelfth)
			}
		})
	}
}

func TestAttendanceSummary(t *testing.T) {
	srv := newServer(t, "sqlite")
	resp := get(t, srv, "/api/v1/analytics/myvenue/attendance?from=2023-02-01&to=2023-02-28", venueKey)
	var body struct {
		Rows    []analytics.AttendanceRow
		Summary analytics.AttendanceSummary
	}
	decode(t, resp, &body)
	want := analytics.AttendanceSummary{PeakHour: "2023-02-09T11:00", PeakIn: 3, TotalIn: 7, TotalOut: 2, Failed: 3,
		Occupancy: analytics.Occupancy{Date: "2023-02-09", In: 5, Out: 2, Inside: 3}}
	if body.Summary != want {
		t.Errorf("summary = %+v\nwant %+v", body.Summary, want)
	}
	if len(body.Rows) != 28 {
		t.Errorf("%d rows, want one per day of February", len(body.Rows))
	}
}

func TestDefaultRangeEndsToday(t *testing.T) {
	srv := newServer(t, "sqlite")
	var body analytics.Result
	decode(t, get(t, srv, "/api/v1/analytics/myvenue/contacts", venueKey), &body)
	if body.From != "2023-01-11" || body.To != "2023-02-09" {
		t.Errorf("default range %s..%s, want the 30 days up to the venue's today, 2023-01-11..2023-02-09", body.From, body.To)
	}
}

func TestCSVExport(t *testing.T) {
	srv := newServer(t, "sqlite")
	resp := get(t, srv, "/api/v1/analytics/myvenue/gates?from=2023-02-09&to=2023-02-10&format=csv", venueKey)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("content type %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="myvenue-gates-2023-02-09-2023-02-10.csv"`) {
		t.Errorf("content disposition %q", cd)
	}
	lines := readCSV(t, resp.Body)
	want := [][]string{
		{"period", "group", "checks", "failed", "fail_rate"},
		{"2023-02-09", "North", "5", "1", "0.2000"},
		{"2023-02-09", "South", "4", "1", "0.2500"},
		{"2023-02-10", "", "2", "1", "0.5000"},
	}
	sameCSV(t, lines, want)

	reasons := readCSV(t, get(t, srv, "/api/v1/analytics/myvenue/gates?from=2023-02-10&to=2023-02-10&format=csv&table=reasons", venueKey).Body)
	sameCSV(t, reasons, [][]string{{"period", "group", "reason", "checks"}, {"2023-02-10", "", "ALREADY_USED", "1"}})

	breakdown := readCSV(t, get(t, srv, "/api/v1/analytics/myvenue/breakdown?from=2023-02-14&to=2023-02-14&format=csv", venueKey).Body)
	sameCSV(t, breakdown, [][]string{{"period", "matched", "label", "in", "out", "failed"}, {"2023-02-14", "false", "", "1", "0", "0"}})
}

func TestCSVDefusesFormulas(t *testing.T) {
	var buf strings.Builder
	rows := []analytics.SalesRow{{Period: "2023-02-09", Label: "=HYPERLINK(\"http://evil\")", Revenue: -1500}}
	if err := analytics.WriteCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	lines := readCSV(t, strings.NewReader(buf.String()))
	if got := lines[1][1]; got != `'=HYPERLINK("http://evil")` {
		t.Errorf("label cell %q, want the formula defused with a leading quote", got)
	}
	if got := lines[1][7]; got != "-1.50" {
		t.Errorf("revenue cell %q, want the negative number left alone", got)
	}
}

func TestHealth(t *testing.T) {
	srv := newServer(t, "sqlite")
	var body analytics.HealthBody
	decode(t, get(t, srv, "/api/v1/analytics/myvenue/health", venueKey), &body)
	got := map[usher.Stream]int64{}
	for _, s := range body.Streams {
		if s.LastReceivedAt == nil {
			t.Errorf("%s has no last push", s.Stream)
		}
		got[s.Stream] = s.Received
	}
	want := map[usher.Stream]int64{usher.StreamContacts: 7, usher.StreamOrders: 6, usher.StreamTicketChecks: 12}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s received %d, want %d", k, got[k], v)
		}
	}
}

func TestErrors(t *testing.T) {
	srv := newServer(t, "sqlite")
	tests := []struct {
		name, path, key string
		status          int
		code            string
	}{
		{"no key", "/api/v1/analytics/myvenue/sales", "", 401, usher.EUNAUTHORIZED},
		{"wrong key", "/api/v1/analytics/myvenue/sales", "nope", 401, usher.EUNAUTHORIZED},
		{"key of another venue", "/api/v1/analytics/myvenue/sales", otherKey, 404, usher.ENOTFOUND},
		{"unknown institution", "/api/v1/analytics/nowhere/sales", adminKey, 404, usher.ENOTFOUND},
		{"unknown report", "/api/v1/analytics/myvenue/profits", venueKey, 404, usher.ENOTFOUND},
		{"bad date", "/api/v1/analytics/myvenue/sales?from=09.02.2023", venueKey, 400, usher.EINVALID},
		{"to before from", "/api/v1/analytics/myvenue/sales?from=2023-02-10&to=2023-02-09", venueKey, 400, usher.EINVALID},
		{"unknown parameter", "/api/v1/analytics/myvenue/sales?form=2023-02-01", venueKey, 400, usher.EINVALID},
		{"repeated parameter", "/api/v1/analytics/myvenue/sales?by=product&by=event", venueKey, 400, usher.EINVALID},
		{"hourly sales", "/api/v1/analytics/myvenue/sales?interval=hour", venueKey, 400, usher.EINVALID},
		{"hourly year", "/api/v1/analytics/myvenue/attendance?interval=hour&from=2022-01-01&to=2022-12-31", venueKey, 400, usher.EINVALID},
		{"by on contacts", "/api/v1/analytics/myvenue/contacts?by=product", venueKey, 400, usher.EINVALID},
		{"reasons of sales", "/api/v1/analytics/myvenue/sales?table=reasons", venueKey, 400, usher.EINVALID},
		{"xml", "/api/v1/analytics/myvenue/sales?format=xml", venueKey, 400, usher.EINVALID},
		{"bad query string", "/api/v1/analytics/myvenue/sales?from=%zz", venueKey, 400, usher.EINVALID},
		{"health parameters", "/api/v1/analytics/myvenue/health?from=2023-02-01", venueKey, 400, usher.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, srv, tt.path, tt.key)
			checkError(t, resp, tt.status, tt.code)
		})
	}
	t.Run("body on a GET", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/analytics/myvenue/sales", strings.NewReader(strings.Repeat("x", 1<<20)))
		req.Header.Set("Authorization", "Bearer "+venueKey)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		checkError(t, resp, http.StatusRequestEntityTooLarge, usher.ETOOLARGE)
	})
}

func checkError(t *testing.T, resp *http.Response, status int, code string) {
	t.Helper()
	var body httpapi.ErrorBody
	decode(t, resp, &body)
	if resp.StatusCode != status || body.Error.Code != code || body.Error.Message == "" {
		t.Errorf("got %d %+v, want %d with code %s and a message", resp.StatusCode, body.Error, status, code)
	}
}

func readCSV(t *testing.T, r io.Reader) [][]string {
	t.Helper()
	lines, err := csv.NewReader(r).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

func sameCSV(t *testing.T, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("csv has %d lines, want %d:\n%v", len(got), len(want), got)
	}
	for i := range want {
		if strings.Join(got[i], ",") != strings.Join(want[i], ",") {
			t.Errorf("csv line %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// FuzzReportQuery sends arbitrary report names and query strings to the
// real handler: the answer is always a 200 or a clear 4xx JSON error,
// never a 5xx or a panic.
func FuzzReportQuery(f *testing.F) {
	for _, seed := range []struct{ report, query string }{
		{"sales", "from=2023-02-01&to=2023-02-28&interval=week&by=product"},
		{"sales", "format=csv&by=event"},
		{"attendance", "interval=hour&from=2023-02-09&to=2023-02-09"},
		{"gates", "by=flow&format=csv&table=reasons"},
		{"breakdown", "by=category&interval=month"},
		{"contacts", "from=1900-01-01&to=2200-12-31"},
		{"health", ""},
		{"sales", "from=%00&to=%ff"},
		{"sales", "interval=hour&interval=day"},
		{"..%2f..", "a=b"},
	} {
		f.Add(seed.report, seed.query)
	}
	srv := newServer(f, "sqlite")
	f.Fuzz(func(t *testing.T, report, query string) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/analytics/myvenue/"+report+"?"+query, nil)
		if err != nil {
			return // not a URL a client could send
		}
		req.Header.Set("Authorization", "Bearer "+venueKey)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 500 {
			t.Fatalf("%s?%s: status %d: %s", report, query, resp.StatusCode, body)
		}
		ct := resp.Header.Get("Content-Type")
		if strings.HasPrefix(ct, "text/plain") || resp.StatusCode/100 == 3 {
			return // the mux's own answer to a path outside the API (a report name with a slash)
		}
		if resp.StatusCode != http.StatusOK && (!strings.HasPrefix(ct, "application/json") || !json.Valid(body)) {
			t.Fatalf("%s?%s: status %d with %s body %q, want a JSON error", report, query, resp.StatusCode, ct, body)
		}
	})
}
