package ingest

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/usher-hub/usher"
)

// hashOld is the hash before hashRaw: decode as Describe decodes, then
// hashDecoded (for objects) or usher.HashJSON.
func hashOld(t testing.TB, raw []byte) (string, bool) {
	t.Helper()
	if v, end, ok := decodeFast(raw); ok && len(bytes.TrimSpace(raw[end:])) == 0 {
		if fields, ok := v.(map[string]any); ok {
			h, err := hashDecoded(fields)
			return h, err == nil
		}
	}
	h, err := usher.HashJSON(raw)
	return h, err == nil
}

// checkHashRaw fails if hashRaw answers for raw with a hash other than
// the old function's and usher.HashJSON's.
func checkHashRaw(t *testing.T, raw []byte) (answered bool) {
	t.Helper()
	got, ok := hashRaw(raw)
	if !ok {
		return false
	}
	want, wantOK := hashOld(t, raw)
	if !wantOK {
		t.Fatalf("hashRaw hashed %q, which the old hash rejects", raw)
	}
	if got != want {
		t.Fatalf("hashRaw %s, old hash %s, for %q", got, want, raw)
	}
	if h, err := usher.HashJSON(raw); err != nil || h != got {
		t.Fatalf("hashRaw %s, HashJSON %s (%v), for %q", got, h, err, raw)
	}
	return true
}

// Every document of the S-360 fixtures, and thousands of generated ones
// with what S-360 sends and what it might (nesting, escapes, non-ASCII,
// HTML characters, duplicate keys, numbers of every form), hash alike
// through hashRaw and the old function; the fixtures take the one pass.
func TestHashRawIsTheOldHash(t *testing.T) {
	files, err := filepath.Glob("../../testdata/s360/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		items, err := SplitPayload(body)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range items {
			if !checkHashRaw(t, raw) {
				t.Errorf("%s: hashRaw left a fixture document to the old path: %.80q", file, raw)
			}
		}
	}
	rng := rand.New(rand.NewPCG(21, 21))
	answered := 0
	for range 5000 {
		raw := randomJSON(rng, 0)
		if checkHashRaw(t, raw) {
			answered++
		}
	}
	if answered < 1000 { // many generated keys need escapes: those take the old path
		t.Errorf("hashRaw answered %d of 5000 generated documents: the one pass is not the common path", answered)
	}
}

var randomStrings = []string{"", "a", "contactNumber", "Zürich", "x<y", "a&b", "tab\there", "quote\"d", "back\\slash",
	"line\u2028sep", "😀", "\u00e9", "e\u0301", "~", "A", "a b", "ticketCheckId", "id"}

// randomJSON writes a random JSON value, objects most likely at the top,
// with random spacing and escapes written in either form.
func randomJSON(rng *rand.Rand, depth int) []byte {
	var b bytes.Buffer
	writeRandom(&b, rng, depth)
	return b.Bytes()
}

func writeRandom(b *bytes.Buffer, rng *rand.Rand, depth int) {
	space := func() {
		if rng.IntN(4) == 0 {
			b.WriteString([]string{" ", "\n", "\t ", "\r\n"}[rng.IntN(4)])
		}
	}
	kind := rng.IntN(10)
	if depth == 0 {
		kind = 0
	}
	if depth > 4 && kind < 3 {
		kind = 5
	}
	space()
	switch kind {
	case 0, 1:
		b.WriteByte('{')
		n := rng.IntN(6)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			space()
			writeRandomString(b, rng)
			space()
			b.WriteByte(':')
			writeRandom(b, rng, depth+1)
		}
		space()
		b.WriteByte('}')
	case 2:
		b.WriteByte('[')
		n := rng.IntN(4)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			writeRandom(b, rng, depth+1)
		}
		space()
		b.WriteByte(']')
	case 3, 4, 5:
		writeRandomString(b, rng)
	case 6, 7:
		b.WriteString([]string{"0", "-0", "12", "2.50", "1e400", "-12.5E-7", "12345678901234567890123", "3.0", "1E+2"}[rng.IntN(9)])
	default:
		b.WriteString([]string{"true", "false", "null"}[rng.IntN(3)])
	}
	space()
}

func writeRandomString(b *bytes.Buffer, rng *rand.Rand) {
	s := randomStrings[rng.IntN(len(randomStrings))]
	if rng.IntN(5) == 0 {
		s += strconv.Itoa(rng.IntN(3))
	}
	if rng.IntN(6) == 0 { // escaped by hand, as some encoders write
		b.WriteByte('"')
		for _, r := range s {
			b.WriteString(`\u` + strings.Repeat("0", 4-len(strconv.FormatInt(int64(r&0xffff), 16))) + strconv.FormatInt(int64(r&0xffff), 16))
		}
		b.WriteByte('"')
		return
	}
	enc, _ := json.Marshal(s)
	if rng.IntN(2) == 0 { // without HTML escaping, as most encoders write
		enc = bytes.ReplaceAll(enc, []byte(`\u003c`), []byte("<"))
		enc = bytes.ReplaceAll(enc, []byte(`\u0026`), []byte("&"))
		enc = bytes.ReplaceAll(enc, []byte(`\u2028`), []byte("\u2028"))
	}
	b.Write(enc)
}

// FuzzHashRawIsHashJSON holds hashRaw to the old hash and usher.HashJSON
// for any input: where hashRaw answers, all three agree.
func FuzzHashRawIsHashJSON(f *testing.F) {
	for _, s := range []string{
		`{"contactNumber":"1","b":[1,2.50,-0,1e400,12345678901234567890123],"a":{}}`,
		`{"k":"1","k":"2","x":"<&>\u2028\u2029\u0000\u001f\b\f\n\r\t\"\\/"}`,
		`{"a":{"b":1},"a":[2]," a":3,"a ":4}`,
		"{\"\xff\xfe\":\"\xff\xfe\xed\xa0\x80\",\"n\":null,\"t\":true,\"f\":false}",
		`[[],{},"",0,"\ud800","\ufffd","` + strings.Repeat("é€😀", 50) + `"]`,
		`{"é":1,"e":2,"E":3,"":4,"~":5,"\u00e9":6}`,
		`{"x<y":1,"a&b":2,"x\u003cy":3}`,
		" {\"a\" : [ 1 , {\"c\":\"d\"} ] } ", `{"a":1} x`, `{"a":}`, `{"a":1,}`, `{"a" 1}`, `{"a":01}`,
		`{"a":[1,2}`, `{"a":{"b":[}]}}`, `{"a":"\"}"}`, `{"a":"x\\"}`, "{\"a\":\"b\u2028\"}",
		`"plain"`, `null`, `-12.5e-7`, `{}`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkHashRaw(t, raw)
	})
}

// BenchmarkHash compares the two ways to a document's hash over the S-360
// fixtures: the old one given the decoded value (which ingest has anyway,
// for validation and describing), and the one pass over the bytes.
func BenchmarkHash(b *testing.B) {
	var items [][]byte
	var decoded []map[string]any
	for _, name := range []string{"contacts.json", "orders.json", "ticketchecks.json"} {
		body, err := os.ReadFile("../../testdata/s360/" + name)
		if err != nil {
			b.Fatal(err)
		}
		raws, values, ok := splitFast(body)
		if !ok {
			b.Fatal("fixture not on the fast path")
		}
		for i, raw := range raws {
			items = append(items, raw)
			decoded = append(decoded, values[i].(map[string]any))
		}
	}
	b.Run("decoded", func(b *testing.B) {
		for i := range b.N {
			if _, err := hashDecoded(decoded[i%len(decoded)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		for i := range b.N {
			if _, ok := hashRaw(items[i%len(items)]); !ok {
				b.Fatal("not hashed")
			}
		}
	})
}
