package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/usher-hub/usher"
)

// maxViolations bounds one document's report: a list of ten thousand bad
// items needs its first hundred violations to be understood, not all.
const maxViolations = 100

// maxUnknown bounds the drift paths collected from one document.
const maxUnknown = 100

// result is what checking one document finds.
type result struct {
	violations []usher.Violation
	dropped    int // violations past maxViolations
	// unknown are the paths of fields the schema does not name, with list
	// indexes written [*] so each field is one path however many items
	// carry it.
	unknown []string
}

// check validates raw against root.
func check(root *rule, raw []byte) result {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var res result
		checkStorable(&res, raw)
		res.fail(&jsonPath{}, "not valid JSON: %v", err)
		return res
	}
	if dec.More() {
		var res result
		checkStorable(&res, raw)
		res.fail(&jsonPath{}, "not valid JSON: data after the document")
		return res
	}
	return checkDecoded(root, raw, v)
}

// checkDecoded validates raw, already decoded into v as encoding/json
// decodes with UseNumber, against root.
func checkDecoded(root *rule, raw []byte, v any) result {
	var res result
	checkStorable(&res, raw)
	res.check(root, v, &jsonPath{})
	if res.dropped > 0 {
		res.violations = append(res.violations, usher.Violation{Path: "$",
			Message: fmt.Sprintf("%d more violations not listed", res.dropped)})
	}
	return res
}

func checkStorable(res *result, raw []byte) {
	if msg := unstorable(raw); msg != "" {
		res.fail(&jsonPath{}, "%s", msg)
	}
}

func (res *result) fail(p *jsonPath, format string, args ...any) {
	if len(res.violations) >= maxViolations {
		res.dropped++
		return
	}
	res.violations = append(res.violations, usher.Violation{Path: p.String(), Message: fmt.Sprintf(format, args...)})
}

func (res *result) check(r *rule, v any, p *jsonPath) {
	if v == nil {
		if !r.nullable && r.kind != kindLax {
			res.fail(p, "expected %s, got null", expectation(r))
		}
		return
	}
	switch r.kind {
	case kindLax:
	case kindObject:
		m, ok := v.(map[string]any)
		if !ok {
			res.fail(p, "expected object, got %s", describe(v))
			return
		}
		res.object(r, m, p)
	case kindList:
		items, ok := v.([]any)
		if !ok {
			res.fail(p, "expected list, got %s", describe(v))
			return
		}
		for i, item := range items {
			res.check(r.items, item, &jsonPath{parent: p, index: i})
		}
	case kindInt:
		if n, ok := v.(json.Number); !ok || !isInteger(n) {
			res.fail(p, "expected integer, got %s", describe(v))
		}
	case kindNumber:
		if _, ok := v.(json.Number); !ok {
			res.fail(p, "expected number, got %s", describe(v))
		}
	case kindBool:
		if _, ok := v.(bool); !ok {
			res.fail(p, "expected boolean, got %s", describe(v))
		}
	default:
		res.text(r, v, p)
	}
}

func (res *result) object(r *rule, m map[string]any, p *jsonPath) {
	known := 0
	for i := range r.fields {
		f := &r.fields[i]
		child := &jsonPath{parent: p, name: f.name, index: -1}
		v, present := m[f.name]
		if !present {
			if !f.optional {
				res.fail(child, "required field is missing (expected %s)", expectation(f.rule))
			}
			continue
		}
		known++
		res.check(f.rule, v, child)
	}
	if known == len(m) {
		return
	}
	for name := range m {
		if _, ok := r.byName[name]; !ok && len(res.unknown) < maxUnknown {
			res.unknown = append(res.unknown, (&jsonPath{parent: p, name: name, index: -1}).shape())
		}
	}
}

// text checks the string-valued kinds.
func (res *result) text(r *rule, v any, p *jsonPath) {
	s, ok := v.(string)
	if !ok {
		res.fail(p, "expected %s, got %s", expectation(r), describe(v))
		return
	}
	if s == "" {
		if !r.empty {
			want := expectation(r)
			if r.kind == kindString {
				want = "non-empty string"
			}
			res.fail(p, "expected %s, got empty string \"\"", want)
		}
		return
	}
	var valid bool
	switch r.kind {
	case kindString:
		valid = true
	case kindTimestamp:
		valid = isTimestamp(s)
	case kindDate:
		valid = isDate(s)
	case kindTime:
		valid = isClock(s)
	case kindEmail:
		valid = isEmail(s)
	case kindEnum:
		for _, e := range r.enum {
			valid = valid || s == e
		}
	}
	if !valid {
		res.fail(p, "expected %s, got %s", expectation(r), describe(v))
	}
}

// jsonPath is a JSON path built as the walk descends; it is rendered only
// when a violation or an unknown field needs it.
type jsonPath struct {
	parent *jsonPath
	name   string
	index  int // list index, or -1 for an object member
}

// String renders the path with list indexes: $.items[3].code.
func (p *jsonPath) String() string { return p.render(false) }

// shape renders the path with [*] for list indexes: $.items[*].code.
func (p *jsonPath) shape() string { return p.render(true) }

func (p *jsonPath) render(shape bool) string {
	if p.parent == nil {
		return "$"
	}
	var segs []*jsonPath
	for q := p; q.parent != nil; q = q.parent {
		segs = append(segs, q)
	}
	var b strings.Builder
	b.WriteString("$")
	for i := len(segs) - 1; i >= 0; i-- {
		s := segs[i]
		switch {
		case s.index >= 0 && shape:
			b.WriteString("[*]")
		case s.index >= 0:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		default:
			b.WriteString(childPath("", s.name))
		}
	}
	return b.String()
}
