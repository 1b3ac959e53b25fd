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
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got == nil {
			got = []Change{}
		}
		out, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, out, c.want)
		}
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
	f.Fuzz(func(t *testing.T, a, b []byte) {
		ab, errA := Diff(a, b)
		ba, errB := Diff(b, a)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("Diff(a,b) err %v, Diff(b,a) err %v", errA, errB)
		}
		if errA != nil {
			return
		}
		for _, doc := range [][]byte{a, b} {
			if self, err := Diff(doc, doc); err != nil || len(self) != 0 {
				t.Fatalf("Diff(%q, itself) = %v, %v", doc, self, err)
			}
			v, _ := Decode(doc)
			again, err := json.Marshal(v)
			if err != nil {
				continue // a number json cannot write back, such as 1e400
			}
			if d, err := Diff(doc, again); err != nil || len(d) != 0 {
				t.Fatalf("Diff(%q, re-encoded %q) = %v, %v", doc, again, d, err)
			}
		}
		if len(ab) != len(ba) {
			t.Fatalf("%d changes one way, %d the other", len(ab), len(ba))
		}
		for i := range ab {
			x, y := ab[i], ba[i]
			reversed := map[Op]Op{Add: Remove, Remove: Add, Replace: Replace}[x.Op]
			if x.Path != y.Path || y.Op != reversed || fmt.Sprint(x.From) != fmt.Sprint(y.To) || fmt.Sprint(x.To) != fmt.Sprint(y.From) {
				t.Fatalf("change %d: %+v one way, %+v the other", i, x, y)
			}
		}
	})
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
