package ingest

import (
	"testing"
)

// FuzzCountItemsIsSplit holds the byte scan that enforces the document
// cap to the parse: for any body SplitPayload takes, countItems counts
// exactly its documents (or stops past the limit).
func FuzzCountItemsIsSplit(f *testing.F) {
	for _, s := range []string{`[]`, ` [ ] `, `[1]`, `[1,2]`, `[{"a":[1,2,3]},"x,y",[[]]]`, `["\"],[", {"k":"\\"}]`,
		`{"orderDetailsData":{"orderId":1}}`, `[[],{}]`, `[ "" ]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := SplitPayload(body)
		if err != nil {
			return
		}
		const limit = 5
		got := countItems(body, limit)
		if want := len(items); got != want && (want <= limit || got <= limit) {
			t.Fatalf("countItems(%q) = %d, SplitPayload found %d", body, got, want)
		}
	})
}
