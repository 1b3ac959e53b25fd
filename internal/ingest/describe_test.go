package ingest_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/ingest"
)

// Describe hashes the value it decoded instead of calling usher.HashJSON,
// which would parse each document a second time. Stored hashes must not
// change with that: every document ever hashed must hash alike, or
// resent history would be stored again as new versions.
func TestDescribeHashIsHashJSON(t *testing.T) {
	for _, tt := range []struct {
		stream usher.Stream
		file   string
	}{
		{usher.StreamContacts, "contacts.json"},
		{usher.StreamOrders, "orders.json"},
		{usher.StreamTicketChecks, "ticketchecks.json"},
	} {
		items, err := ingest.SplitPayload(fixture(t, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		for i, raw := range items {
			checkHash(t, tt.stream, raw)
			if t.Failed() {
				t.Fatalf("%s item %d", tt.file, i)
			}
		}
	}
}

func checkHash(t *testing.T, stream usher.Stream, raw []byte) {
	t.Helper()
	doc, err := ingest.Describe("myvenue", stream, raw)
	want, hashErr := usher.HashJSON(raw)
	if err != nil {
		return // rejected documents have no hash to compare
	}
	if hashErr != nil {
		t.Errorf("Describe accepted %q, which HashJSON rejects: %v", raw, hashErr)
		return
	}
	if doc.Hash != want {
		t.Errorf("Describe hash %s, HashJSON %s, for %q", doc.Hash, want, raw)
	}
}

// FuzzDescribeHash holds Describe's hash to usher.HashJSON for any
// document: odd numbers, escapes, invalid UTF-8, duplicate keys, nesting.
func FuzzDescribeHash(f *testing.F) {
	for _, s := range []string{
		`{"contactNumber":"1","b":[1,2.50,-0,1e400,12345678901234567890123]}`,
		`{"contactNumber":"1","contactNumber":"2","x":"<&>\u2028"}`,
		"{\"contactNumber\":\"\xff\xfe\",\"n\":null,\"t\":true}",
		`{"orderDetailsData":{"orderId":10000702652,"z":{"a":{"b":{"c":[[]]}}}}}`,
		`{"ticket_check_id":10228845124401,"access_time":"2023-02-09 18:25:10","barcode":"\u0000"}`,
		`{"contactNumber":"` + strings.Repeat("é", 300) + `"}`,
		`{"contactNumber":"1"} `, `{"contactNumber":"1"}}`, `{"contactNumber":1}[]`,
	} {
		for _, stream := range usher.Streams {
			f.Add(string(stream), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, stream string, raw []byte) {
		st, err := usher.ParseStream(stream)
		if err != nil {
			st = usher.StreamContacts
		}
		if !json.Valid(raw) {
			if _, err := ingest.Describe("myvenue", st, raw); err == nil {
				t.Fatalf("Describe accepted invalid JSON %q", raw)
			}
			return
		}
		checkHash(t, st, raw)
	})
}

// A ticket check with one bad field keeps its id, so its quarantine row
// names the document.
func TestBadCheckKeepsItsID(t *testing.T) {
	doc, err := ingest.Describe("myvenue", usher.StreamTicketChecks, json.RawMessage(`{"ticket_check_id": 4242, "access_time": "yesterday"}`))
	if err == nil || doc.ExternalID != "4242" {
		t.Fatalf("Describe: id %q, err %v; want id 4242 and an error", doc.ExternalID, err)
	}
}
