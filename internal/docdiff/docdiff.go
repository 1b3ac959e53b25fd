// Package docdiff compares two JSON documents structurally: which values
// were added, removed or replaced, each named by its JSON path ($.email,
// $.orderDetailsData.items[1].qty). Objects are compared key by key,
// arrays position by position, numbers by value (100 and 1e2 are equal),
// so a version that only reorders keys or respaces has no change.
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
func Diff(a, b []byte) ([]Change, error) {
	va, err := Decode(a)
	if err != nil {
		return nil, fmt.Errorf("first document: %w", err)
	}
	vb, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("second document: %w", err)
	}
	var out []Change
	walk(&out, "$", va, vb)
	return out, nil
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

func walk(out *[]Change, path string, a, b any) {
	switch a := a.(type) {
	case map[string]any:
		if b, ok := b.(map[string]any); ok {
			walkObject(out, path, a, b)
			return
		}
	case []any:
		if b, ok := b.([]any); ok {
			for i := range max(len(a), len(b)) {
				p := path + "[" + strconv.Itoa(i) + "]"
				switch {
				case i >= len(a):
					*out = append(*out, Change{Path: p, Op: Add, To: b[i]})
				case i >= len(b):
					*out = append(*out, Change{Path: p, Op: Remove, From: a[i]})
				default:
					walk(out, p, a[i], b[i])
				}
			}
			return
		}
	default:
		if scalarEqual(a, b) {
			return
		}
	}
	*out = append(*out, Change{Path: path, Op: Replace, From: a, To: b})
}

func walkObject(out *[]Change, path string, a, b map[string]any) {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := path + Key(k)
		va, inA := a[k]
		vb, inB := b[k]
		switch {
		case !inA:
			*out = append(*out, Change{Path: p, Op: Add, To: vb})
		case !inB:
			*out = append(*out, Change{Path: p, Op: Remove, From: va})
		default:
			walk(out, p, va, vb)
		}
	}
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
