package docdiff

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	for _, c := range []struct {
		name, a, b, want string
	}{
		{"same", `{"a":1,"b":[1,2]}`, ` { "b" : [1, 2], "a" : 1.0 } `, `[]`},
		{"replace", `{"email":"a@x","n":1}`, `{"email":"b@x","n":1}`, `[{"path":"$.email","op":"replace","from":"a@x","to":"b@x"}]`},
		{"add and remove", `{"a":1}`, `{"b":{"c":2}}`, `[{"path":"$.a","op":"remove","from":1},{"path":"$.b","op":"add","to":{"c":2}}]`},
		{"nested", `{"o":{"s":"OPEN","items":[{"q":1}]}}`, `{"o":{"s":"PAID","items":[{"q":2},{"q":3}]}}`,
			`[{"path":"$.o.items[0].q","op":"replace","from":1,"to":2},{"path":"$.o.items[1]","op":"add","to":{"q":3}},{"path":"$.o.s","op":"replace","from":"OPEN","to":"PAID"}]`},
		{"shorter array", `[1,2,3]`, `[1]`, `[{"path":"$[1]","op":"remove","from":2},{"path":"$[2]","op":"remove","from":3}]`},
		{"type change", `{"a":[1]}`, `{"a":{"0":1}}`, `[{"path":"$.a","op":"replace","from":[1],"to":{"0":1}}]`},
		{"null is a value", `{"a":null}`, `{"a":0}`, `[{"path":"$.a","op":"replace","from":null,"to":0}]`},
		{"null added", `{}`, `{"a":null}`, `[{"path":"$.a","op":"add","to":null}]`},
		{"odd keys", `{"a b":1,"":2,"é":3,"x\"y":4}`, `{"a b":2,"":3,"é":4,"x\"y":5}`,
			`[{"path":"$[\"\"]","op":"replace","from":2,"to":3},{"path":"$[\"a b\"]","op":"replace","from":1,"to":2},{"path":"$[\"x\\\"y\"]","op":"replace","from":4,"to":5},{"path":"$[\"é\"]","op":"replace","from":3,"to":4}]`},
		{"top-level scalar", `1`, `"1"`, `[{"path":"$","op":"replace","from":1,"to":"1"}]`},
	} {
		got, err := Diff([]byte(c.a), []byte(c.b))
		wantChanges(t, c.name, got, err, c.want)
	}
}

func TestDiffKeyed(t *testing.T) {
	keys := Keys{"$.ops": "id", "$.ops[*].moves": "mid", "$.tags": "id"}
	for _, c := range []struct {
		name, a, b, want string
		inA, inB         []string
	}{
		{"reordered elements are the same", `{"ops":[{"id":1,"q":1},{"id":2,"q":2}]}`, `{"ops":[{"id":2,"q":2},{"id":1.0,"q":1}]}`, `[]`, nil, nil},
		{"a change is named by its key", `{"ops":[{"id":1,"q":1},{"id":2,"q":2}]}`, `{"ops":[{"id":2,"q":3},{"id":1,"q":1}]}`,
			`[{"path":"$.ops[?(@.id==2)].q","op":"replace","from":2,"to":3}]`, []string{"$.ops[1].q"}, []string{"$.ops[0].q"}},
		{"added and removed elements", `{"ops":[{"id":1},{"id":"B"}]}`, `{"ops":[{"id":"A"},{"id":1}]}`,
			`[{"path":"$.ops[?(@.id==\"A\")]","op":"add","to":{"id":"A"}},{"path":"$.ops[?(@.id==\"B\")]","op":"remove","from":{"id":"B"}}]`,
			[]string{"", "$.ops[1]"}, []string{"$.ops[0]", ""}},
		{"nested keyed arrays", `{"ops":[{"id":7,"moves":[{"mid":1,"s":"OK"},{"mid":2,"s":"OK"}]}]}`, `{"ops":[{"id":7,"moves":[{"mid":2,"s":"NO"},{"mid":1,"s":"OK"}]}]}`,
			`[{"path":"$.ops[?(@.id==7)].moves[?(@.mid==2)].s","op":"replace","from":"OK","to":"NO"}]`, []string{"$.ops[0].moves[1].s"}, []string{"$.ops[0].moves[0].s"}},
		{"a repeated key falls back to positions", `{"ops":[{"id":1,"q":1},{"id":1,"q":2}]}`, `{"ops":[{"id":1,"q":2},{"id":1,"q":1}]}`,
			`[{"path":"$.ops[0].q","op":"replace","from":1,"to":2},{"path":"$.ops[1].q","op":"replace","from":2,"to":1}]`, []string{"$.ops[0].q", "$.ops[1].q"}, []string{"$.ops[0].q", "$.ops[1].q"}},
		{"an element without its key falls back", `{"tags":[{"id":1},{"x":1}]}`, `{"tags":[{"x":1},{"id":1}]}`,
			`[{"path":"$.tags[0].id","op":"remove","from":1},{"path":"$.tags[0].x","op":"add","to":1},{"path":"$.tags[1].id","op":"add","to":1},{"path":"$.tags[1].x","op":"remove","from":1}]`, nil, nil},
		{"scalars fall back", `{"tags":[1,2]}`, `{"tags":[2,1]}`, `[{"path":"$.tags[0]","op":"replace","from":1,"to":2},{"path":"$.tags[1]","op":"replace","from":2,"to":1}]`, nil, nil},
		{"an array not named is positional", `{"other":[{"id":1},{"id":2}]}`, `{"other":[{"id":2},{"id":1}]}`,
			`[{"path":"$.other[0].id","op":"replace","from":1,"to":2},{"path":"$.other[1].id","op":"replace","from":2,"to":1}]`, nil, nil},
	} {
		got, err := DiffKeyed([]byte(c.a), []byte(c.b), keys)
		wantChanges(t, c.name, got, err, c.want)
		for i := range min(len(got), len(c.inA)) {
			if got[i].InA != c.inA[i] || got[i].InB != c.inB[i] {
				t.Errorf("%s: change %d is at %q in a and %q in b, want %q and %q", c.name, i, got[i].InA, got[i].InB, c.inA[i], c.inB[i])
			}
		}
	}
}

// wantChanges fails t unless got, as JSON, is want.
func wantChanges(t *testing.T, name string, got []Change, err error, want string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if got == nil {
		got = []Change{}
	}
	out, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != want {
		t.Errorf("%s:\n got %s\nwant %s", name, out, want)
	}
}

func TestDiffRefusesWhatIsNotJSON(t *testing.T) {
	for _, c := range [][2]string{{`{`, `{}`}, {`{}`, `{} {}`}, {``, `1`}, {`1`, `nul`}} {
		if _, err := Diff([]byte(c[0]), []byte(c[1])); !errors.Is(err, ErrNotJSON) {
			t.Errorf("Diff(%q, %q) = %v, want ErrNotJSON", c[0], c[1], err)
		}
	}
}

// FuzzDiff checks, for any two JSON documents, that a document has no
// change against itself nor against itself re-encoded, and that the diff
// from b to a is the diff from a to b reversed. Its seeds (f.Add and
// testdata/fuzz/FuzzDiff) run with every go test.
func FuzzDiff(f *testing.F) {
	f.Add([]byte(`{"email":"a@x","tags":[1,2]}`), []byte(`{"email":"b@x","tags":[2]}`))
	f.Add([]byte(`{"orderDetailsData":{"orderState":"OPEN","saleAmount":100}}`), []byte(`{"orderDetailsData":{"orderState":"PAID","saleAmount":1e2}}`))
	f.Add([]byte(`[null,true,"x",{"a b":[]}]`), []byte(`[false,{"":0}]`))
	f.Add([]byte(`1e400`), []byte(`1E400`))
	f.Add([]byte(`"\u00e9\ud800"`), []byte(`{}`))
	f.Add([]byte(`[{"id":1,"q":[{"id":"x"}]},{"id":2}]`), []byte(`[{"id":2.0},{"id":1,"q":[{"id":"y"},{"id":"x"}]}]`))
	f.Add([]byte(`{"items":[{"id":1e400},{"id":-0}]}`), []byte(`{"items":[{"id":0},{"id":1E400}]}`))
	keys := Keys{"$": "id", "$[*].q": "id", "$.items": "id"}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		for _, keys := range []Keys{nil, keys} {
			checkDiff(t, a, b, keys)
		}
	})
}

// checkDiff is FuzzDiff's check of a and b, with keys.
func checkDiff(t *testing.T, a, b []byte, keys Keys) {
	ab, errA := DiffKeyed(a, b, keys)
	ba, errB := DiffKeyed(b, a, keys)
	if (errA == nil) != (errB == nil) {
		t.Fatalf("Diff(a,b) err %v, Diff(b,a) err %v", errA, errB)
	}
	if errA != nil {
		return
	}
	for _, doc := range [][]byte{a, b} {
		if self, err := DiffKeyed(doc, doc, keys); err != nil || len(self) != 0 {
			t.Fatalf("Diff(%q, itself) = %v, %v", doc, self, err)
		}
		v, _ := Decode(doc)
		again, err := json.Marshal(v)
		if err != nil {
			continue // a number json cannot write back, such as 1e400
		}
		if d, err := DiffKeyed(doc, again, keys); err != nil || len(d) != 0 {
			t.Fatalf("Diff(%q, re-encoded %q) = %v, %v", doc, again, d, err)
		}
	}
	if len(ab) != len(ba) {
		t.Fatalf("%d changes one way, %d the other", len(ab), len(ba))
	}
	for i := range ab {
		x, y := ab[i], ba[i]
		reversed := map[Op]Op{Add: Remove, Remove: Add, Replace: Replace}[x.Op]
		if x.Path != y.Path || y.Op != reversed || fmt.Sprint(x.From) != fmt.Sprint(y.To) || fmt.Sprint(x.To) != fmt.Sprint(y.From) ||
			x.InA != y.InB || x.InB != y.InA {
			t.Fatalf("change %d: %+v one way, %+v the other", i, x, y)
		}
	}
}

// tenKB returns an order of about 10 kB with n lines, its state and every
// k-th line's quantity set from version.
func tenKB(version, k int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"orderDetailsData":{"orderId":10000000042,"orderState":%q,"saleAmount":%d,"customer":{"email":"guest%d@example.org","firstName":"Zoë","lastName":"Müller"},"items":[`,
		[]string{"OPEN", "PAID"}[version%2], 1000+version, version)
	for i := range 85 {
		if i > 0 {
			b.WriteByte(',')
		}
		qty := 1
		if i%k == 0 {
			qty += version
		}
		fmt.Fprintf(&b, `{"line":%d,"sku":"TKT-%04d","name":"Adult entry, timed slot %d","qty":%d,"price":{"amount":%d.50,"currency":"EUR"}}`, i, i, i, qty, 10+i)
	}
	b.WriteString(`]}}`)
	return []byte(b.String())
}

func TestTenKBVersions(t *testing.T) {
	a, b := tenKB(1, 10), tenKB(2, 10)
	if len(a) < 9000 || len(a) > 11000 {
		t.Fatalf("benchmark documents are %d bytes, want about 10 kB", len(a))
	}
	d, err := Diff(a, b)
	if err != nil || len(d) != 12 {
		t.Fatalf("diff = %d changes (%v), want 12: state, amount, email and 9 quantities", len(d), err)
	}
}

// BenchmarkDiff10kB diffs two versions of a 10 kB order (issue 19: under
// 5 ms).
func BenchmarkDiff10kB(b *testing.B) {
	x, y := tenKB(1, 10), tenKB(2, 10)
	b.SetBytes(int64(len(x) + len(y)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Diff(x, y); err != nil {
			b.Fatal(err)
		}
	}
}
