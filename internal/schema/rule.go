package schema

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// kind is what a rule expects a value to be.
type kind int

const (
	kindObject kind = iota
	kindList
	kindString
	kindInt
	kindNumber
	kindBool
	kindTimestamp
	kindDate
	kindTime
	kindEmail
	kindEnum
	kindLax
)

// typeNames are the scalar types a schema may name, as written.
var typeNames = map[string]kind{
	"string":    kindString,
	"int":       kindInt,
	"number":    kindNumber,
	"bool":      kindBool,
	"timestamp": kindTimestamp,
	"date":      kindDate,
	"time":      kindTime,
	"email":     kindEmail,
	"lax":       kindLax,
}

// rule is one compiled schema node.
type rule struct {
	kind     kind
	nullable bool // null is accepted
	empty    bool // "" is accepted (strings and string-like types)
	// key: the field identifies its object among the elements of the list
	// holding it; diffs match elements by it (ArrayKeys).
	key    bool
	enum   []string
	fields []field           // kindObject, in schema order
	byName map[string]*field // kindObject
	items  *rule             // kindList
}

// field is one named member of an object rule.
type field struct {
	name     string
	optional bool
	rule     *rule
}

// compileNode turns a YAML value into a rule; path names it in errors.
func compileNode(n *yaml.Node, path string) (*rule, error) {
	switch n.Kind {
	case yaml.MappingNode:
		return compileObject(n, path)
	case yaml.SequenceNode:
		if len(n.Content) != 1 {
			return nil, nodeErr(n, path, "a list rule has exactly one item, describing every element (got %d)", len(n.Content))
		}
		items, err := compileNode(n.Content[0], path+"[*]")
		if err != nil {
			return nil, err
		}
		return &rule{kind: kindList, items: items}, nil
	case yaml.ScalarNode:
		r, err := compileScalar(n.Value)
		if err != nil {
			return nil, nodeErr(n, path, "%v", err)
		}
		return r, nil
	case yaml.AliasNode:
		// A schema reads top to bottom like the document; an alias would
		// send the reader elsewhere (and may loop back on itself).
		return nil, nodeErr(n, path, "YAML aliases (*name) are not allowed in schemas: write the fields out")
	}
	return nil, nodeErr(n, path, "expected a type, a mapping of fields or a one-item list")
}

func compileObject(n *yaml.Node, path string) (*rule, error) {
	r := &rule{kind: kindObject, byName: map[string]*field{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		name, optional := strings.CutSuffix(key.Value, "?")
		if name == "" {
			return nil, nodeErr(key, path, "empty field name")
		}
		if _, dup := r.byName[name]; dup {
			return nil, nodeErr(key, path, "field %q is listed twice", name)
		}
		sub, err := compileNode(value, childPath(path, name))
		if err != nil {
			return nil, err
		}
		if sub.key {
			if !strings.HasSuffix(path, "[*]") {
				return nil, nodeErr(value, path, "field %q is marked key, which names what identifies an element of a list: %s is not a list's element", name, path)
			}
			if k := r.keyField(); k != "" {
				return nil, nodeErr(value, path, "fields %q and %q are both marked key: an element has one", k, name)
			}
		}
		r.fields = append(r.fields, field{name: name, optional: optional, rule: sub})
		r.byName[name] = &r.fields[len(r.fields)-1]
	}
	// byName points into fields, which append may have moved: rebuild.
	for i := range r.fields {
		r.byName[r.fields[i].name] = &r.fields[i]
	}
	return r, nil
}

// compileScalar parses "TYPE[, MODIFIER]…", such as "string, empty, null"
// or "enum(IN, OUT)".
func compileScalar(s string) (*rule, error) {
	parts := splitTopLevel(s)
	if len(parts) == 0 || parts[0] == "" {
		return nil, fmt.Errorf("missing type: use one of %s", typeList())
	}
	r, err := compileType(parts[0])
	if err != nil {
		return nil, err
	}
	for _, mod := range parts[1:] {
		switch mod {
		case "empty":
			if !stringLike(r.kind) {
				return nil, fmt.Errorf("modifier empty applies to string types, not %s", parts[0])
			}
			r.empty = true
		case "null":
			r.nullable = true
		case "key":
			if r.kind != kindInt && r.kind != kindString && r.kind != kindEnum {
				return nil, fmt.Errorf("modifier key applies to int, string and enum fields, not %s", parts[0])
			}
			r.key = true
		case "optional":
			return nil, fmt.Errorf(`write an optional field with "?" after its name, not as a modifier`)
		default:
			return nil, fmt.Errorf("unknown modifier %q: use empty, null or key", mod)
		}
	}
	return r, nil
}

func compileType(t string) (*rule, error) {
	if inner, ok := strings.CutPrefix(t, "enum("); ok {
		inner, closed := strings.CutSuffix(inner, ")")
		if !closed {
			return nil, fmt.Errorf("enum %q has no closing parenthesis", t)
		}
		var values []string
		for v := range strings.SplitSeq(inner, ",") {
			if v = strings.TrimSpace(v); v != "" {
				values = append(values, v)
			}
		}
		if len(values) == 0 {
			return nil, fmt.Errorf("enum() lists no values")
		}
		return &rule{kind: kindEnum, enum: values}, nil
	}
	k, ok := typeNames[t]
	if !ok {
		return nil, fmt.Errorf("unknown type %q: use one of %s", t, typeList())
	}
	return &rule{kind: k}, nil
}

// splitTopLevel splits s on commas outside parentheses and trims spaces.
func splitTopLevel(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(parts, strings.TrimSpace(s[start:]))
}

func stringLike(k kind) bool {
	switch k {
	case kindString, kindTimestamp, kindDate, kindTime, kindEmail, kindEnum:
		return true
	}
	return false
}

func typeList() string {
	return "string, int, number, bool, timestamp, date, time, email, enum(A, B), lax"
}

func nodeErr(n *yaml.Node, path, format string, args ...any) error {
	return fmt.Errorf("line %d: %s: %s", n.Line, path, fmt.Sprintf(format, args...))
}

// keyField is the name of the object's field marked key, or "".
func (r *rule) keyField() string {
	for _, f := range r.fields {
		if f.rule.key {
			return f.name
		}
	}
	return ""
}

// arrayKeys adds to keys, for each list under r (at path) whose elements
// have a key field, the list's path and the field's name.
func (r *rule) arrayKeys(path string, keys map[string]string) {
	switch r.kind {
	case kindList:
		if k := r.items.keyField(); k != "" {
			keys[path] = k
		}
		r.items.arrayKeys(path+"[*]", keys)
	case kindObject:
		for _, f := range r.fields {
			f.rule.arrayKeys(childPath(path, f.name), keys)
		}
	}
}
