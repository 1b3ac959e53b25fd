package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzCanonicalIsMarshal holds appendCanonical to json.Marshal, which
// usher.HashJSON hashes, for any JSON value decoded as Describe decodes
// it, including ones Describe would reject for lack of an id.
func FuzzCanonicalIsMarshal(f *testing.F) {
	for _, s := range []string{
		`{"b":[1,2.50,-0,1e400,12345678901234567890123],"a":{}}`,
		`{"k":"1","k":"2","x":"<&>\u2028\u2029\u0000\u001f\b\f\n\r\t\"\\/"}`,
		"{\"\xff\xfe\":\"\xff\xfe\xed\xa0\x80\",\"n\":null,\"t\":true,\"f\":false}",
		`[[],{},"",0,"\ud800","\ufffd","` + strings.Repeat("é€😀", 50) + `"]`,
		`{"é":1,"e":2,"E":3,"":4,"~":5,"\u00e9":6}`,
		`"plain"`, `null`, `-12.5e-7`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return
		}
		want, wantErr := json.Marshal(v)
		got, err := appendCanonical(nil, v)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("error %v, json.Marshal's %v, for %q", err, wantErr, raw)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("canonical %q\n json.Marshal %q\nfor %q", got, want, raw)
		}
	})
}

// FuzzDecodeFastIsDecoder holds decodeObject, fast path and all, to
// decoding by encoding/json: the same value, or an error for the same
// inputs.
func FuzzDecodeFastIsDecoder(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"a":2,"b":[1,2.50,-0,1e400,12345678901234567890123,true,false,null]}`,
		`{"k":"\u00e9\ud83d\ude00\ud800x","x":"<&>\u2028","e":"\"\\\/\b\f\n\r\t"}`,
		"{\"k\":\"\xff\xfe\",\"\xc3\":1}", "{\"k\":\"a\x01\"}", `{"k":01}`, `{"k":1.}`, `{"k":-}`,
		`{"k":.5}`, `{"k":1e}`, `{"k":tru}`, `{"k":truex}`, `{"k" 1}`, `{"k":1,}`, `[1,]`, `{,}`,
		` {"a":{"b":[{"c":[]}]}} `, `{"a":1} x`, "{\"a\":1}\v", `[]`, `"s"`, `1`, `{"a":"unterminated`,
		`{"contactNumber":"` + strings.Repeat("é", 300) + `"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := decodeObject(raw)
		want, wantErr := decodeObjectWithDecoder(raw)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("error %v, encoding/json's %v, for %q", err, wantErr, raw)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded %#v\nencoding/json %#v\nfor %q", got, want, raw)
		}
	})
}

// The fast path must actually serve S-360's documents, or it only costs.
func TestDecodeFastTakesFixtures(t *testing.T) {
	for _, name := range []string{"contacts.json", "orders.json", "ticketchecks.json"} {
		body, err := os.ReadFile(filepath.Join("..", "..", "testdata", "s360", name))
		if err != nil {
			t.Fatal(err)
		}
		items, err := SplitPayload(body)
		if err != nil {
			t.Fatal(err)
		}
		for i, raw := range items {
			if _, _, ok := decodeFast(raw); !ok {
				t.Errorf("%s item %d took the slow path", name, i)
			}
		}
	}
}

// splitFast must split and decode exactly as SplitPayload and
// encoding/json do wherever it answers, and answer for S-360's payloads.
func FuzzSplitFastIsSplitPayload(f *testing.F) {
	for _, s := range []string{
		`[]`, ` [ ] `, `[{"a":1},{"b":[1,2]}]`, `[{"a":1} , {"a":2}] `, `[1,"s",null,{"k":1e400}]`,
		`[{"a":1},]`, `[{"a":1}`, `[{"a":1}] x`, `{"orderDetailsData":{"orderId":1}}`, `[[1],[2]]`,
		"[{\"k\":\"\xff\"}]", `[{"a":1,"a":2}]`, `[{"k":"\u00e9\ud800"}]`, `[ {"a":{"b":[{"c":[]}]}} ]`,
	} {
		f.Add([]byte(s))
	}
	for _, name := range []string{"contacts.json", "orders.json", "ticketchecks.json"} {
		body, err := os.ReadFile(filepath.Join("..", "..", "testdata", "s360", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		items, values, ok := splitFast(body)
		if !ok {
			return
		}
		want, err := SplitPayload(body)
		if err != nil {
			t.Fatalf("splitFast split %q, SplitPayload refused it: %v", body, err)
		}
		if len(items) != len(want) || len(values) != len(items) {
			t.Fatalf("%d items and %d values, SplitPayload %d, for %q", len(items), len(values), len(want), body)
		}
		for i := range items {
			if !bytes.Equal(items[i], want[i]) {
				t.Fatalf("item %d = %q, SplitPayload's %q", i, items[i], want[i])
			}
			dec := json.NewDecoder(bytes.NewReader(want[i]))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(values[i], v) {
				t.Fatalf("item %d decoded %#v, encoding/json %#v", i, values[i], v)
			}
		}
	})
}

func TestSplitFastTakesFixtures(t *testing.T) {
	for _, name := range []string{"contacts.json", "orders.json", "ticketchecks.json"} {
		body, err := os.ReadFile(filepath.Join("..", "..", "testdata", "s360", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, ok := splitFast(body); !ok {
			t.Errorf("%s took the slow path", name)
		}
	}
}

// TestHashDecodedConcurrently: requests hash in parallel with pooled
// buffers; a buffer must not go back to the pool, where another request
// writes into it, before its hash is taken. Run with -race to see the
// overlap; without it, a hash of overwritten bytes shows as a mismatch.
func TestHashDecodedConcurrently(t *testing.T) {
	const workers, rounds = 8, 300
	errs := make(chan string, workers)
	for w := range workers {
		go func() {
			fields := map[string]any{"contactNumber": strings.Repeat(string(rune('a'+w)), 64+w*97)}
			want, _ := json.Marshal(fields)
			for range rounds {
				got, err := hashDecoded(fields)
				if exp := hashOf(want); err != nil || got != exp {
					errs <- "worker " + string(rune('a'+w)) + ": hash " + got + ", want " + exp
					return
				}
			}
			errs <- ""
		}()
	}
	for range workers {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
