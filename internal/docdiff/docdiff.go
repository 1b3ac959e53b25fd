// Package docdiff compares two JSON documents structurally: which values
// were added, removed or replaced, each named by its JSON path ($.email,
// $.orderDetailsData.items[1].qty). Objects are compared key by key,
// arrays position by position, or element by element where Keys names
// the member that identifies an element
// ($.orderDetailsData.operationDatas[?(@.operationId==7)].quantity),
// numbers by value (100 and 1e2 are equal), so a version that only
// reorders keys or respaces has no change.
package docdiff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// Op is what happened at a path.
type Op string

// The operations of a diff.
const (
	Add     Op = "add"     // the path is only in b
	Remove  Op = "remove"  // the path is only in a
	Replace Op = "replace" // the path holds another value in b
)

// Change is one difference: the value at Path in a (From) and in b (To).
// From is absent from an add and To from a remove. A value is decoded
// JSON: string, json.Number, bool, nil, []any or map[string]any.
type Change struct {
	Path string `json:"path"`
	Op   Op     `json:"op"`
	From any    `json:"from,omitempty"`
	To   any    `json:"to,omitempty"`
	// InA and InB are where the change is in a and in b by position
	// ($.items[3]): Path names an element of a keyed array by its key,
	// which may sit at another position in each document. InA is empty
	// for an add, InB for a remove.
	InA, InB string `json:"-"`
}

// MarshalJSON writes from and to when the op has them, null included
// (a replace of null by 1 has "from":null).
func (c Change) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"path":`)
	if err := encode(&b, c.Path); err != nil {
		return nil, err
	}
	b.WriteString(`,"op":`)
	if err := encode(&b, c.Op); err != nil {
		return nil, err
	}
	if c.Op != Add {
		b.WriteString(`,"from":`)
		if err := encode(&b, c.From); err != nil {
			return nil, err
		}
	}
	if c.Op != Remove {
		b.WriteString(`,"to":`)
		if err := encode(&b, c.To); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func encode(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's newline
	return nil
}

// ErrNotJSON is wrapped by Diff's error when a document is not one JSON
// value.
var ErrNotJSON = errors.New("not a JSON document")

// Diff returns the changes that turn a into b, in path order (keys sorted,
// array positions ascending). A subtree added or removed whole is one
// change at its root; a value whose type changed is one replace.
func Diff(a, b []byte) ([]Change, error) { return DiffKeyed(a, b, nil) }

// Keys names, for arrays of objects, the member that identifies an
// element, by the array's path with every position written [*]:
// {"$.orderDetailsData.operationDatas": "operationId"}.
type Keys map[string]string

// DiffKeyed is Diff comparing the arrays keys names element by element:
// an element is matched with the element of the other document holding
// the same key, wherever it is, and named by its key. An array is
// compared by position after all when an element is not an object, or
// lacks the key, or holds a key that is not a string or number, or
// repeats one.
func DiffKeyed(a, b []byte, keys Keys) ([]Change, error) {
	va, err := Decode(a)
	if err != nil {
		return nil, fmt.Errorf("first document: %w", err)
	}
	vb, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("second document: %w", err)
	}
	d := differ{keys: keys}
	d.walk(at{"$", "$", "$", "$"}, va, vb)
	return d.out, nil
}

// Decode reads one JSON value with numbers kept as json.Number.
func Decode(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("%w: more than one value", ErrNotJSON)
	}
	return v, nil
}

// differ collects the changes of one diff.
type differ struct {
	keys Keys
	out  []Change
}

// at is where the walk is: the path changes are named by, the positional
// paths in a and in b, and the pattern (positions as [*]) keys are read by.
type at struct{ path, inA, inB, pattern string }

func (w at) member(k string) at {
	step := Key(k)
	return at{w.path + step, w.inA + step, w.inB + step, w.pattern + step}
}

func (w at) index(i int) at {
	step := "[" + strconv.Itoa(i) + "]"
	return at{w.path + step, w.inA + step, w.inB + step, w.pattern + "[*]"}
}

func (d *differ) add(w at, v any) {
	d.out = append(d.out, Change{Path: w.path, Op: Add, To: v, InB: w.inB})
}

func (d *differ) remove(w at, v any) {
	d.out = append(d.out, Change{Path: w.path, Op: Remove, From: v, InA: w.inA})
}

func (d *differ) walk(w at, a, b any) {
	switch a := a.(type) {
	case map[string]any:
		if b, ok := b.(map[string]any); ok {
			d.walkObject(w, a, b)
			return
		}
	case []any:
		if b, ok := b.([]any); ok {
			if key, ok := d.keys[w.pattern]; ok && d.walkKeyed(w, key, a, b) {
				return
			}
			for i := range max(len(a), len(b)) {
				switch {
				case i >= len(a):
					d.add(w.index(i), b[i])
				case i >= len(b):
					d.remove(w.index(i), a[i])
				default:
					d.walk(w.index(i), a[i], b[i])
				}
			}
			return
		}
	default:
		if scalarEqual(a, b) {
			return
		}
	}
	d.out = append(d.out, Change{Path: w.path, Op: Replace, From: a, To: b, InA: w.inA, InB: w.inB})
}

func (d *differ) walkObject(w at, a, b map[string]any) {
	keys := union(a, b)
	slices.Sort(keys)
	for _, k := range keys {
		va, inA := a[k]
		vb, inB := b[k]
		d.pair(w.member(k), va, inA, vb, inB)
	}
}

// pair compares what a and b hold at w, where either may hold nothing.
func (d *differ) pair(w at, va any, inA bool, vb any, inB bool) {
	switch {
	case !inA:
		d.add(w, vb)
	case !inB:
		d.remove(w, va)
	default:
		d.walk(w, va, vb)
	}
}

// union lists the keys of a, then those of b that a lacks.
func union[K comparable, V any](a, b map[K]V) []K {
	out := make([]K, 0, len(a)+len(b))
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// walkKeyed compares a and b element by element, matched by key, in the
// order of their keys (numbers by value, before strings), so that the
// diff from b to a is the diff from a to b reversed. It reports false,
// having done nothing, when an element of either cannot be keyed.
func (d *differ) walkKeyed(w at, key string, a, b []any) bool {
	ka, okA := keyed(a, key)
	kb, okB := keyed(b, key)
	if !okA || !okB {
		return false
	}
	ids := union(ka, kb)
	slices.SortFunc(ids, compareKeys)
	for _, id := range ids {
		ia, inA := ka[id]
		ib, inB := kb[id]
		e := at{path: w.path + "[?(@" + Key(key) + "==" + id.literal + ")]", pattern: w.pattern + "[*]"}
		var va, vb any
		if inA {
			e.inA, va = w.inA+"["+strconv.Itoa(ia)+"]", a[ia]
		}
		if inB {
			e.inB, vb = w.inB+"["+strconv.Itoa(ib)+"]", b[ib]
		}
		d.pair(e, va, inA, vb, inB)
	}
	return true
}

// elementKey is an array element's key: a number by value, or a string.
type elementKey struct {
	number  bool
	literal string // as the path writes it: 7 (for 7, 7.0 and 7e0 alike), "A-1"
}

// keyed indexes elements by their key, false unless every element is an
// object whose key is a string or a number, each once.
func keyed(elements []any, key string) (map[elementKey]int, bool) {
	out := make(map[elementKey]int, len(elements))
	for i, e := range elements {
		obj, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		var k elementKey
		switch v := obj[key].(type) {
		case json.Number:
			f, ok := new(big.Float).SetPrec(256).SetString(string(v))
			if !ok {
				return nil, false
			}
			k = elementKey{number: true, literal: canonicalNumber(f)}
		case string:
			q, _ := json.Marshal(v)
			k = elementKey{literal: string(q)}
		default:
			return nil, false
		}
		if _, dup := out[k]; dup {
			return nil, false
		}
		out[k] = i
	}
	return out, true
}

func compareKeys(x, y elementKey) int {
	switch {
	case x.number != y.number:
		if x.number {
			return -1
		}
		return 1
	case x.number:
		fx, _ := new(big.Float).SetPrec(256).SetString(x.literal)
		fy, _ := new(big.Float).SetPrec(256).SetString(y.literal)
		return fx.Cmp(fy)
	}
	return strings.Compare(x.literal, y.literal)
}

// canonicalNumber writes equal numbers alike: whole ones below 2^64
// without a fraction or exponent (10000702652), others in the shortest
// form (1e400 stays short).
func canonicalNumber(f *big.Float) string {
	switch {
	case f.Sign() == 0:
		return "0"
	case f.IsInt() && f.MantExp(nil) <= 64:
		return f.Text('f', 0)
	}
	return f.Text('g', -1)
}

// scalarEqual compares two scalars (or a scalar with a container, which
// is never equal); numbers compare by value.
func scalarEqual(a, b any) bool {
	switch a := a.(type) {
	case json.Number:
		b, ok := b.(json.Number)
		if !ok {
			return false
		}
		if a == b {
			return true
		}
		fa, okA := new(big.Float).SetPrec(256).SetString(string(a))
		fb, okB := new(big.Float).SetPrec(256).SetString(string(b))
		return okA && okB && fa.Cmp(fb) == 0
	case string:
		b, ok := b.(string)
		return ok && a == b
	case bool:
		b, ok := b.(bool)
		return ok && a == b
	case nil:
		return b == nil
	}
	return false
}

// Key is the path step of an object key: .name for a plain name (a
// letter or '_', then letters, digits and '_'), ["key"] for any other.
func Key(k string) string {
	plain := k != ""
	for i := 0; i < len(k) && plain; i++ {
		c := k[i]
		plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9'
	}
	if plain {
		return "." + k
	}
	var b strings.Builder
	b.WriteString("[")
	q, _ := json.Marshal(k)
	b.Write(q)
	b.WriteString("]")
	return b.String()
}
