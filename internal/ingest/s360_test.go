package ingest

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
)

func TestSplitPayload(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		items   int
		wantErr string
	}{
		{name: "array", body: `[{"a":1},{"b":2}]`, items: 2},
		{name: "single order object", body: `{"orderDetailsData":{"orderId":1}}`, items: 1},
		{name: "empty array", body: `[]`, items: 0},
		{name: "empty body", body: ``, wantErr: "empty body"},
		{name: "not json", body: `[{"a":1}`, wantErr: "not valid JSON"},
		{name: "number", body: `42`, wantErr: "JSON number, expected an array"},
		{name: "string", body: `"x"`, wantErr: "JSON string"},
		// Items that are not objects are split out and left to validation,
		// which quarantines them rather than failing the whole payload.
		{name: "array of numbers", body: `[{"a":1}, 3]`, items: 2},
		{name: "array of null", body: `[null]`, items: 1},
		{name: "nested arrays", body: `[[{"a":1}]]`, items: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := SplitPayload([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if usher.ErrorCode(err) != usher.EINVALID {
					t.Fatalf("code = %s, want %s", usher.ErrorCode(err), usher.EINVALID)
				}
				return
			}
			if err != nil || len(items) != tt.items {
				t.Fatalf("items = %d, err = %v; want %d items", len(items), err, tt.items)
			}
		})
	}
}

func TestDescribeReferencePayloads(t *testing.T) {
	for _, tt := range []struct {
		file   string
		stream usher.Stream
		ids    []string
	}{
		{"contacts.json", usher.StreamContacts, []string{"3346662", "3346663"}},
		{"orders.json", usher.StreamOrders, []string{"10000702652"}},
		{"ticketchecks.json", usher.StreamTicketChecks, []string{"10228845124401", "10228845124402"}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile("../../testdata/s360/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			items, err := SplitPayload(body)
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != len(tt.ids) {
				t.Fatalf("%d items, want %d", len(items), len(tt.ids))
			}
			for i, raw := range items {
				d, err := Describe("myvenue", tt.stream, raw)
				if err != nil {
					t.Fatal(err)
				}
				if d.ExternalID != tt.ids[i] {
					t.Errorf("item %d id = %q, want %q", i, d.ExternalID, tt.ids[i])
				}
				if d.UpstreamUpdatedAt == nil {
					t.Errorf("item %d has no upstream time", i)
				}
				if len(d.Hash) != 64 {
					t.Errorf("item %d hash %q", i, d.Hash)
				}
			}
		})
	}
}

func TestDescribeTicketCheckColumns(t *testing.T) {
	raw := json.RawMessage(`{"ticket_check_id":10228845124402,"movement_id":10228844462195,"ticket_id":10228844446467,"barcode":"321488720810990025100150","access_time":"2023-02-09 18:25:02","check_flow":"IN","result":"FAIL","failure_reason":"NO_MORE_ENTRY_ALLOWED_TODAY"}`)
	d, err := Describe("myvenue", usher.StreamTicketChecks, raw)
	if err != nil {
		t.Fatal(err)
	}
	want := usher.TicketCheck{
		TicketCheckID: 10228845124402, MovementID: 10228844462195, TicketID: 10228844446467,
		Barcode: "321488720810990025100150", AccessTime: time.Date(2023, 2, 9, 18, 25, 2, 0, time.UTC),
		CheckFlow: "IN", Result: "FAIL", FailureReason: "NO_MORE_ENTRY_ALLOWED_TODAY",
	}
	if *d.Check != want {
		t.Fatalf("check = %+v\nwant    %+v", *d.Check, want)
	}
}

func TestDescribeRejectsDocumentsWithoutID(t *testing.T) {
	for _, tt := range []struct {
		stream usher.Stream
		body   string
		want   string
	}{
		{usher.StreamContacts, `{"email":"a@b.c"}`, "no contactNumber"},
		{usher.StreamOrders, `{"orderDetailsData":{"orderState":"CLOSED"}}`, "no orderDetailsData.orderId"},
		{usher.StreamOrders, `{"orderDetailsData":"x"}`, "orderDetailsData"},
		{usher.StreamTicketChecks, `{"barcode":"1"}`, "no ticket_check_id"},
		{usher.StreamTicketChecks, `{"ticket_check_id":1,"access_time":"yesterday"}`, "no access_time"},
		{usher.StreamTicketChecks, `{"ticket_check_id":1.5,"access_time":"2023-02-09 18:25:02"}`, `ticket_check_id "1.5" is not an integer`},
		{usher.StreamTicketChecks, `{"ticket_check_id":1,"movement_id":1e40,"access_time":"2023-02-09 18:25:02"}`, `movement_id "1e40" is not an integer`},
	} {
		_, err := Describe("myvenue", tt.stream, json.RawMessage(tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %s: err = %v, want %q", tt.stream, tt.body, err, tt.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	for _, s := range []string{"2020-10-13T10:09:27.503+00:00", "2021-10-08T16:00:00.000+02:00", "2023-02-09 18:25:10", "2023-01-28 17:00:00.0", "2026-04-02T18:24:05.8178053-05:00"} {
		if _, ok := ParseTime(s); !ok {
			t.Errorf("ParseTime(%q) failed", s)
		}
	}
	if _, ok := ParseTime("09/02/2023"); ok {
		t.Error("ParseTime accepted a date in an unknown form")
	}
}

// TestAuthenticate covers the assumption (docs/upstreams.md) that the
// contact and order webhooks offer the access-control webhook's modes.
func TestAuthenticate(t *testing.T) {
	basic := usher.Institution{Code: "a", Auth: usher.PushAuth{Mode: usher.AuthBasic, Username: "s360", Secret: "pw"}}
	apikey := usher.Institution{Code: "b", Auth: usher.PushAuth{Mode: usher.AuthAPIKey, Header: "X-Api-Key", Secret: "k1"}}
	none := usher.Institution{Code: "c", Auth: usher.PushAuth{Mode: usher.AuthNone}}
	req := func(set func(h map[string]string)) *httpRequest {
		h := map[string]string{}
		set(h)
		return newRequest(h)
	}
	for _, tt := range []struct {
		name string
		inst usher.Institution
		r    *httpRequest
		ok   bool
	}{
		{"basic ok", basic, req(func(h map[string]string) { h["basic"] = "s360:pw" }), true},
		{"basic wrong password", basic, req(func(h map[string]string) { h["basic"] = "s360:px" }), false},
		{"basic wrong user", basic, req(func(h map[string]string) { h["basic"] = "x:pw" }), false},
		{"basic missing", basic, req(func(h map[string]string) {}), false},
		{"apikey ok", apikey, req(func(h map[string]string) { h["X-Api-Key"] = "k1" }), true},
		{"apikey wrong", apikey, req(func(h map[string]string) { h["X-Api-Key"] = "k2" }), false},
		{"apikey prefix", apikey, req(func(h map[string]string) { h["X-Api-Key"] = "k" }), false},
		{"apikey in other header", apikey, req(func(h map[string]string) { h["Authorization"] = "k1" }), false},
		{"none", none, req(func(h map[string]string) {}), true},
	} {
		err := Authenticate(tt.inst, tt.r.Request)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && usher.ErrorCode(err) != usher.EUNAUTHORIZED {
			t.Errorf("%s: code %s", tt.name, usher.ErrorCode(err))
		}
		if err != nil && strings.Contains(err.Error(), tt.inst.Auth.Secret) {
			t.Errorf("%s: error message leaks the secret", tt.name)
		}
	}
}
