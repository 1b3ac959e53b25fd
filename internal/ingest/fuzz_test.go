package ingest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/testdb"
)

// FuzzPushEndpoints posts arbitrary bodies to each push endpoint on both
// engines, and holds usher's rule that a push answers 5xx only when the
// database is unavailable: whatever the body, the answer is 200, 400, 413
// or 422, a 200 always says what it stored, and sending the same body
// again stores nothing new. Its corpus (testdata/fuzz/FuzzPushEndpoints,
// run as tests) holds the documents a database refuses (issue 16).
func FuzzPushEndpoints(f *testing.F) {
	for _, name := range []string{"contacts.json", "orders.json", "ticketchecks.json"} {
		body := fixture(f, name)
		f.Add(strings.TrimSuffix(name, ".json"), body)
	}
	seeds := []string{
		``, `[]`, `{}`, `null`, `[null]`, `[{}]`, `[[[[[[[[[[]]]]]]]]]]`,
		`[{"ticket_check_id":1e400,"access_time":"2023-02-09 18:25:10"}]`,
		`[{"ticket_check_id":99999999999999999999999,"access_time":"2023-02-09 18:25:10"}]`,
		`[{"contactNumber":"1","contactNumber":"2"}]`,
		"[{\"contactNumber\":\"\xff\xfe\"}]",
		`{"orderDetailsData":{"orderId":-1}}`,
		`[{"orderDetailsData":{"orderId":"10000702652"}}]`,
		`[{"contactNumber":"` + strings.Repeat("9", 5000) + `"}]`,
	}
	for _, s := range seeds {
		for _, stream := range []string{"contacts", "orders", "ticketchecks"} {
			f.Add(stream, []byte(s))
		}
	}
	var engines []*pushBundle
	for _, engine := range testdb.Engines {
		engines = append(engines, setupPush(f, engine, 64<<10))
	}
	f.Fuzz(func(t *testing.T, stream string, body []byte) {
		if _, err := usher.ParseStream(stream); err != nil {
			stream = "contacts"
		}
		for _, b := range engines {
			checkPush(t, b, "/s360/"+stream+"/open", body)
		}
	})
}

func checkPush(t *testing.T, b *pushBundle, path string, body []byte) {
	t.Helper()
	status, resp := b.post(t, path, body, nil)
	switch status {
	case http.StatusOK:
		var res usher.IngestResult
		if err := json.Unmarshal([]byte(resp), &res); err != nil {
			t.Fatalf("200 without a result: %s", resp)
		}
		status2, resp2 := b.post(t, path, body, nil)
		var res2 usher.IngestResult
		_ = json.Unmarshal([]byte(resp2), &res2)
		if status2 != http.StatusOK || res2.Stored != 0 {
			t.Fatalf("retry of an accepted body: %d %s", status2, resp2)
		}
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		if !strings.Contains(resp, `"message"`) {
			t.Fatalf("%d without a message: %s", status, resp)
		}
	default:
		t.Fatalf("status %d for body %q: %s", status, clipBody(body), resp)
	}
}
