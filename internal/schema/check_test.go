package schema

import (
	"fmt"
	"strings"
	"testing"

	"github.com/usher-hub/usher"
)

// ruleSchema is a schema exercising every rule kind once.
const ruleSchema = `
type: test.rules
version: 1
document:
  code: int
  amount?: number
  flag?: bool
  name?: string
  nickname?: string, empty
  note?: string, null
  at?: timestamp
  born?: date
  opens?: time
  mail?: email, empty
  flow?: enum(IN, OUT)
  extra?: lax
  nested?:
    inner: int
  items?:
    - id: int
`

func mustParse(t testing.TB, src string) *Schema {
	t.Helper()
	s, err := Parse("test", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCheckEachRuleKind(t *testing.T) {
	s := mustParse(t, ruleSchema)
	tests := []struct {
		name string
		doc  string
		want []string // "path: message"; nil means valid
	}{
		{"minimal valid", `{"code": 1}`, nil},
		{"required missing", `{}`, []string{"$.code: required field is missing (expected integer)"}},
		{"int as string", `{"code": "A12"}`, []string{`$.code: expected integer, got string "A12"`}},
		{"int with fraction", `{"code": 1.5}`, []string{"$.code: expected integer, got number 1.5"}},
		{"int written 3.0", `{"code": 3.0}`, nil},
		{"int beyond 2^53 exact", `{"code": 10228845124401123}`, nil},
		{"int null", `{"code": null}`, []string{"$.code: expected integer, got null"}},
		{"number", `{"code": 1, "amount": 42.56}`, nil},
		{"number as string", `{"code": 1, "amount": "42.56"}`, []string{`$.amount: expected number, got string "42.56"`}},
		{"bool", `{"code": 1, "flag": "true"}`, []string{`$.flag: expected boolean, got string "true"`}},
		{"string non-empty by default", `{"code": 1, "name": ""}`, []string{`$.name: expected non-empty string, got empty string ""`}},
		{"string empty allowed", `{"code": 1, "nickname": ""}`, nil},
		{"string null not allowed", `{"code": 1, "name": null}`, []string{"$.name: expected string, got null"}},
		{"string null allowed", `{"code": 1, "note": null}`, nil},
		{"string as number", `{"code": 1, "name": 7}`, []string{"$.name: expected string, got number 7"}},
		{"timestamp export form", `{"code": 1, "at": "2023-02-09 18:25:10"}`, nil},
		{"timestamp export fraction", `{"code": 1, "at": "2023-01-28 17:00:00.0"}`, nil},
		{"timestamp webhook form", `{"code": 1, "at": "2020-10-13T10:09:27.503+00:00"}`, nil},
		{"timestamp centaman form", `{"code": 1, "at": "2026-04-02T18:24:05.8178053-05:00"}`, nil},
		{"timestamp no zone", `{"code": 1, "at": "2018-07-19T00:00:00"}`, nil},
		{"timestamp utc Z", `{"code": 1, "at": "2023-02-09T18:25:10Z"}`, nil},
		{"timestamp bad", `{"code": 1, "at": "09/02/2023"}`, []string{`$.at: expected timestamp such as "2023-02-09 18:25:10" or "2020-10-13T10:09:27.503+00:00", got string "09/02/2023"`}},
		{"timestamp impossible month", `{"code": 1, "at": "2023-13-09 18:25:10"}`, []string{`$.at: expected timestamp such as "2023-02-09 18:25:10" or "2020-10-13T10:09:27.503+00:00", got string "2023-13-09 18:25:10"`}},
		{"date plain", `{"code": 1, "born": "1968-04-13"}`, nil},
		{"date as timestamp", `{"code": 1, "born": "1968-04-13T00:00:00"}`, nil},
		{"date bad", `{"code": 1, "born": "13.04.1968"}`, []string{`$.born: expected date such as "2018-07-19", got string "13.04.1968"`}},
		{"time", `{"code": 1, "opens": "14:30"}`, nil},
		{"time bad", `{"code": 1, "opens": "2pm"}`, []string{`$.opens: expected time of day such as "14:30", got string "2pm"`}},
		{"email", `{"code": 1, "mail": "james.bond@mi6.gov.uk"}`, nil},
		{"email empty allowed", `{"code": 1, "mail": ""}`, nil},
		{"email bad", `{"code": 1, "mail": "james.bond"}`, []string{`$.mail: expected email address, got string "james.bond"`}},
		{"enum", `{"code": 1, "flow": "OUT"}`, nil},
		{"enum bad", `{"code": 1, "flow": "SIDEWAYS"}`, []string{`$.flow: expected one of IN, OUT, got string "SIDEWAYS"`}},
		{"enum empty", `{"code": 1, "flow": ""}`, []string{`$.flow: expected one of IN, OUT, got empty string ""`}},
		{"lax accepts anything", `{"code": 1, "extra": {"any": [1, "x", null]}}`, nil},
		{"lax accepts null", `{"code": 1, "extra": null}`, nil},
		{"nested", `{"code": 1, "nested": {"inner": "x"}}`, []string{`$.nested.inner: expected integer, got string "x"`}},
		{"nested not object", `{"code": 1, "nested": [1]}`, []string{"$.nested: expected object, got list"}},
		{"list items", `{"code": 1, "items": [{"id": 1}, {"id": true}, {}]}`, []string{
			"$.items[1].id: expected integer, got boolean true",
			"$.items[2].id: required field is missing (expected integer)"}},
		{"list not list", `{"code": 1, "items": {"id": 1}}`, []string{"$.items: expected list, got object"}},
		{"empty list", `{"code": 1, "items": []}`, nil},
		{"root not object", `[1, 2]`, []string{"$: expected object, got list"}},
		{"root null", `null`, []string{"$: expected object, got null"}},
		{"several at once, in schema order", `{"code": "x", "flag": 1, "flow": "UP"}`, []string{
			`$.code: expected integer, got string "x"`,
			"$.flag: expected boolean, got number 1",
			`$.flow: expected one of IN, OUT, got string "UP"`}},
		{"not JSON", `{"code": `, []string{"$: not valid JSON: unexpected EOF"}},
		{"NUL escape", `{"code": 1, "name": "a\u0000b"}`, []string{`$: document contains the escape \u0000 (NUL), which cannot be stored`}},
		{"escaped backslash before u0000 is text", `{"code": 1, "name": "a\\u0000b"}`, nil},
		{"lone surrogate", `{"code": 1, "name": "\ud800x"}`, []string{"$: document contains an unpaired UTF-16 surrogate escape"}},
		{"surrogate pair", `{"code": 1, "name": "\ud83d\ude00"}`, nil},
		{"invalid UTF-8", "{\"code\": 1, \"name\": \"\xff\"}", []string{"$: document is not valid UTF-8 text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, _ := s.Check([]byte(tt.doc))
			got := render(vs)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("violations:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func render(vs []usher.Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Path+": "+v.Message)
	}
	return out
}

func TestCheckReportsUnknownFieldsByShape(t *testing.T) {
	s := mustParse(t, ruleSchema)
	vs, unknown := s.Check([]byte(`{"code": 1, "newField": 1, "extra": {"free": 1},
		"items": [{"id": 1, "colour": "red"}, {"id": 2, "colour": "blue"}], "nested": {"inner": 1, "odd.key": 2}}`))
	if len(vs) != 0 {
		t.Fatalf("unknown fields must not be violations, got %v", vs)
	}
	got := strings.Join(sortedCopy(unknown), " ")
	want := `$.items[*].colour $.items[*].colour $.nested["odd.key"] $.newField`
	if got != want {
		t.Fatalf("unknown = %s, want %s (lax parts are not reported)", got, want)
	}
}

func TestCheckBoundsTheReport(t *testing.T) {
	s := mustParse(t, ruleSchema)
	items := strings.Repeat(`{"id": "x"},`, 150)
	vs, _ := s.Check([]byte(`{"code": 1, "items": [` + strings.TrimSuffix(items, ",") + `]}`))
	if len(vs) != maxViolations+1 {
		t.Fatalf("got %d violations, want %d and a summary", len(vs), maxViolations+1)
	}
	if last := vs[len(vs)-1]; last.Message != "50 more violations not listed" {
		t.Fatalf("summary = %q", last.Message)
	}
}

func TestCheckShortensLongValues(t *testing.T) {
	s := mustParse(t, ruleSchema)
	vs, _ := s.Check([]byte(`{"code": "` + strings.Repeat("é", 100) + `"}`))
	if len(vs) != 1 || !strings.HasSuffix(vs[0].Message, `…"`) || len(vs[0].Message) > 200 {
		t.Fatalf("message not shortened: %v", vs)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// listSchema is a document that is a top-level list, as Centaman answers
// a session's price list.
const listSchema = `
type: test.list
version: 1
document:
  - id: int
    price: number
    note?: string
`

func TestCheckTopLevelList(t *testing.T) {
	s := mustParse(t, listSchema)
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"valid", `[{"id": 1, "price": 42.56}, {"id": 2, "price": 0, "note": "free"}]`, nil},
		{"empty list", `[]`, nil},
		{"item violations name their index", `[{"id": 1, "price": 1}, {"id": "2", "price": "9"}, {}]`, []string{
			`$[1].id: expected integer, got string "2"`,
			`$[1].price: expected number, got string "9"`,
			"$[2].id: required field is missing (expected integer)",
			"$[2].price: required field is missing (expected number)"}},
		{"item not an object", `[{"id": 1, "price": 1}, 5, null]`, []string{
			"$[1]: expected object, got number 5",
			"$[2]: expected object, got null"}},
		{"root object", `{"id": 1, "price": 1}`, []string{"$: expected list, got object"}},
		{"root null", `null`, []string{"$: expected list, got null"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, _ := s.Check([]byte(tt.doc))
			if got := render(vs); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("violations:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestCheckTopLevelListReportsUnknownFieldsByShape(t *testing.T) {
	s := mustParse(t, listSchema)
	vs, unknown := s.Check([]byte(`[{"id": 1, "price": 1, "colour": "red"}, {"id": 2, "price": 2, "colour": "blue"}]`))
	if len(vs) != 0 {
		t.Fatalf("unknown fields must not be violations, got %v", vs)
	}
	if got := strings.Join(unknown, " "); got != "$[*].colour $[*].colour" {
		t.Fatalf("unknown = %s, want $[*].colour once per item", got)
	}
}

func TestParseTopLevelListNeedsOneItem(t *testing.T) {
	for _, doc := range []string{"document:\n  - id: int\n  - id: string\n", "document: []\n", "document: int\n"} {
		if _, err := Parse("test", []byte("type: x\nversion: 1\n"+doc)); err == nil {
			t.Errorf("%q compiled; want an error", doc)
		}
	}
	s := mustParse(t, "type: x\nversion: 1\ndocument:\n  - int\n")
	if vs, _ := s.Check([]byte(`[1, 2, "3"]`)); len(vs) != 1 || vs[0].Path != "$[2]" {
		t.Fatalf("list of integers: %v", vs)
	}
}
