package ingest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/testdb"
)

// poisonContacts are documents each database would refuse at commit (issue
// 16): before they were found up front, one of them cost its whole payload
// a 503 on every retry, and S-360 dropped the valid documents beside it
// after twelve tries.
var poisonContacts = []struct {
	name, field, want string
}{
	{"nested 1,000 levels", strings.Repeat("[", 1000) + strings.Repeat("]", 1000), "levels deep"},
	{"number 1e1000000", "1e1000000", "out of the range"},
	{"number with 131,073 integer digits", "1e131072", "out of the range"},
	{"number with 16,384 decimals", "0.1e-16383", "out of the range"},
	{"escape NUL", `"a\u0000b"`, "NUL"},
	{"lone surrogate", `"\ud800"`, "surrogate"},
}

func contactWith(number int, extra string) string {
	return fmt.Sprintf(`{"contactNumber":"%d","lastUpdateDate":"2023-01-01T00:00:00.000+00:00","x":%s}`, number, extra)
}

func TestPoisonDocumentsAreQuarantinedOnBothEngines(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			b := setupPush(t, engine, 4<<20)
			for i, tt := range poisonContacts {
				t.Run(tt.name, func(t *testing.T) {
					body := "[" + contactWith(1000+i, `"fine"`) + "," + contactWith(2000+i, tt.field) + "]"
					status, resp := b.post(t, "/s360/contacts/open", []byte(body), nil)
					if status != 200 {
						t.Fatalf("status %d %s, want 200", status, clipBody([]byte(resp)))
					}
					var r struct {
						Stored, Quarantined int
						Invalid             []struct{ Violations []struct{ Message string } }
					}
					if err := json.Unmarshal([]byte(resp), &r); err != nil {
						t.Fatal(err)
					}
					if r.Stored != 1 || r.Quarantined != 1 || !strings.Contains(resp, tt.want) {
						t.Fatalf("answer %s, want 1 stored and 1 quarantined saying %q", clipBody([]byte(resp)), tt.want)
					}
				})
			}
		})
	}
}

func checkWith(id string, movement, ticket string) string {
	return `{"ticket_check_id":` + id + `,"movement_id":` + movement + `,"ticket_id":` + ticket +
		`,"barcode":"0722","access_time":"2023-02-09 18:25:10","check_flow":"IN","result":"OK","failure_reason":"NO_FAIL"}`
}

// TestOutOfRangeIdsAreQuarantinedOnBothEngines: a check whose ids do not
// fit their 64-bit columns was stored as valid with the column 0, which
// silently broke the joins to its order (issue 16).
func TestOutOfRangeIdsAreQuarantinedOnBothEngines(t *testing.T) {
	huge := strings.Repeat("9", 5000)
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			b := setupPush(t, engine, 4<<20)
			for i, tt := range []struct{ name, id, movement, ticket, want string }{
				{"movement_id 1e40", "", "1e40", "7", `movement_id \"1e40\" is not an integer between`},
				{"ticket_id of 5,000 digits", "", "8", huge, `ticket_id \"9999`},
				{"ticket_id as a string of 5,000 digits", "", "8", `"` + huge + `"`, "$.ticket_id"},
				{"ticket_check_id 1e40", "1e40", "8", "7", `ticket_check_id \"1e40\" is not an integer between`},
			} {
				t.Run(tt.name, func(t *testing.T) {
					id := tt.id
					if id == "" {
						id = fmt.Sprint(500 + i)
					}
					body := "[" + checkWith(fmt.Sprint(100+i), "1", "2") + "," + checkWith(id, tt.movement, tt.ticket) + "]"
					status, resp := b.post(t, "/s360/ticketchecks/open", []byte(body), nil)
					if status != 200 || !strings.Contains(resp, `"stored":1`) || !strings.Contains(resp, `"quarantined":1`) ||
						!strings.Contains(resp, tt.want) {
						t.Fatalf("%d %s, want 1 stored and 1 quarantined naming %s", status, clipBody([]byte(resp)), tt.want)
					}
				})
			}
		})
	}
}

// TestChangedTicketCheckIsAConflictOnBothEngines: a check whose id is
// stored with other content was answered "duplicate" and left no trace
// (issue 16); it is now quarantined as a conflict, and counted.
func TestChangedTicketCheckIsAConflictOnBothEngines(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			b := setupPush(t, engine, 1<<20)
			first := checkWith("77", "1", "2")
			changed := strings.Replace(first, `"result":"OK"`, `"result":"FAIL"`, 1)
			steps := []struct {
				name, body, want string
			}{
				{"first", "[" + first + "]", `"stored":1,"duplicate":0,"quarantined":0`},
				{"changed", "[" + first + "," + changed + "]", `"stored":0,"duplicate":1,"quarantined":1,"conflicts":1`},
				{"changed again", "[" + changed + "]", `"stored":0,"duplicate":0,"quarantined":1,"conflicts":1`},
				{"both in one new payload", "[" + checkWith("78", "1", "2") + "," +
					strings.Replace(checkWith("78", "1", "2"), `"IN"`, `"OUT"`, 1) + "]", `"stored":1,"duplicate":0,"quarantined":1,"conflicts":1`},
			}
			for _, s := range steps {
				status, resp := b.post(t, "/s360/ticketchecks/open", []byte(s.body), nil)
				if status != 200 || !strings.Contains(resp, s.want) || !strings.Contains(resp, "conflict: ticket check") && s.name != "first" {
					t.Fatalf("%s: %d %s, want %s", s.name, status, clipBody([]byte(resp)), s.want)
				}
			}
			q, err := b.store.FindQuarantined(t.Context(), usher.QuarantineFilter{Institutions: []string{"open"}, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(q) != 2 || q[0].SeenCount != 2 || !strings.HasPrefix(q[0].Violations[0].Message, usher.ConflictPrefix) {
				t.Fatalf("quarantine = %+v, want the two conflicting checks, the first seen twice", q)
			}
			if got := scrape(t, b, `usher_documents_total{institution="open",outcome="conflict",stream="ticketchecks"}`); got != "3" {
				t.Fatalf("conflicts counted %q, want 3", got)
			}
		})
	}
}

// scrape returns the value of one series from /metrics, or "".
func scrape(t *testing.T, b *pushBundle, series string) string {
	t.Helper()
	resp, err := http.Get(b.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}
