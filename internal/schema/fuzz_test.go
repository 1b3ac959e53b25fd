package schema

import (
	"os"
	"strings"
	"testing"

	"github.com/usher-hub/usher"
)

// FuzzValidate feeds arbitrary bytes to every built-in schema: checking
// never panics, every violation has a JSON path and a message, and a
// document reported valid is one the stores can keep.
func FuzzValidate(f *testing.F) {
	for _, name := range []string{"contacts", "orders", "ticketchecks"} {
		data, err := os.ReadFile("../../testdata/s360/" + name + ".json")
		if err != nil {
			f.Fatal(err)
		}
		for _, doc := range readArray(f, "../../testdata/s360/"+name+".json") {
			f.Add(string(doc))
		}
		f.Add(string(data))
	}
	for _, name := range []string{"members", "sessions", "price_lists", "membership_types", "bookings"} {
		for _, doc := range readArray(f, "testdata/centaman/"+name+".json") {
			f.Add(string(doc))
		}
	}
	for _, s := range []string{`{"MemberCode": "A12"}`, `{"a\u0000": 1}`, `"\ud800\udc00"`, "\xff", `{"Item": [{}]}`, `[]`, `1e999`} {
		f.Add(s)
	}
	r, err := Load("", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		for _, typ := range r.Types() {
			vs := r.Validate("myvenue", typ, []byte(doc))
			for _, v := range vs {
				if !strings.HasPrefix(v.Path, "$") || v.Message == "" {
					t.Fatalf("%s: violation without path or message: %+v", typ, v)
				}
			}
			if len(vs) == 0 && unstorable([]byte(doc)) != "" {
				t.Fatalf("%s: %q reported valid but cannot be stored", typ, doc)
			}
		}
	})
}

// FuzzParse compiles arbitrary schema files: never a panic, and a schema
// that compiles can check a document.
func FuzzParse(f *testing.F) {
	entries, err := builtinFS.ReadDir("schemas")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		data, _ := builtinFS.ReadFile("schemas/" + e.Name())
		f.Add(string(data))
	}
	f.Add("type: x\nversion: 1\ndocument:\n  a?: enum(\n")
	f.Add("type: x\nversion: 1\ndocument: &a\n  b: *a\n")
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Parse("fuzz", []byte(src))
		if err != nil {
			return
		}
		for _, v := range mustCheck(s, `{"a": [1, {"b": null}], "c": "2023-02-09 18:25:10"}`) {
			if !strings.HasPrefix(v.Path, "$") {
				t.Fatalf("violation path %q does not start at $", v.Path)
			}
		}
	})
}

func mustCheck(s *Schema, doc string) []usher.Violation {
	vs, _ := s.Check([]byte(doc))
	return vs
}
