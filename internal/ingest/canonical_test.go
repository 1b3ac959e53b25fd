package ingest

import (
	"bytes"
	"encoding/json"
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
