package ingest

import (
	"encoding/json"
	"unicode/utf8"
)

// maxFastDepth bounds the fast decoder's recursion; deeper documents take
// encoding/json's path, which has its own limit.
const maxFastDepth = 512

// decodeFast decodes the JSON value at the start of raw as encoding/json
// does with UseNumber (maps, slices, strings, json.Number, bools, nil; the
// last of duplicate keys wins), without reflection: that decoding was a
// third of the request handler's CPU (docs/performance.md). It returns the
// value and the offset just past it, or ok false whenever the input is
// anything but plain well-formed JSON: the caller then decodes with
// encoding/json, which gives the exact value or error. So the fast path
// needs to be right only where it answers; FuzzDecodeFastIsDecoder checks
// that it is.
func decodeFast(raw []byte) (v any, end int, ok bool) {
	d := fastDecoder{raw: raw}
	d.skipSpace()
	v, ok = d.value(0)
	return v, d.pos, ok
}

type fastDecoder struct {
	raw []byte
	pos int
}

func (d *fastDecoder) skipSpace() {
	for d.pos < len(d.raw) {
		switch d.raw[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *fastDecoder) value(depth int) (any, bool) {
	if d.pos >= len(d.raw) || depth > maxFastDepth {
		return nil, false
	}
	switch c := d.raw[d.pos]; {
	case c == '{':
		return d.object(depth + 1)
	case c == '[':
		return d.array(depth + 1)
	case c == '"':
		s, ok := d.string()
		return s, ok
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	default:
		return d.literal()
	}
}

func (d *fastDecoder) object(depth int) (any, bool) {
	d.pos++ // '{'
	m := make(map[string]any)
	d.skipSpace()
	if d.pos < len(d.raw) && d.raw[d.pos] == '}' {
		d.pos++
		return m, true
	}
	for {
		if d.pos >= len(d.raw) || d.raw[d.pos] != '"' {
			return nil, false
		}
		k, ok := d.string()
		if !ok {
			return nil, false
		}
		d.skipSpace()
		if d.pos >= len(d.raw) || d.raw[d.pos] != ':' {
			return nil, false
		}
		d.pos++
		d.skipSpace()
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		m[k] = v
		d.skipSpace()
		if d.pos >= len(d.raw) {
			return nil, false
		}
		switch d.raw[d.pos] {
		case ',':
			d.pos++
			d.skipSpace()
		case '}':
			d.pos++
			return m, true
		default:
			return nil, false
		}
	}
}

func (d *fastDecoder) array(depth int) (any, bool) {
	d.pos++ // '['
	a := []any{}
	d.skipSpace()
	if d.pos < len(d.raw) && d.raw[d.pos] == ']' {
		d.pos++
		return a, true
	}
	for {
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		d.skipSpace()
		if d.pos >= len(d.raw) {
			return nil, false
		}
		switch d.raw[d.pos] {
		case ',':
			d.pos++
			d.skipSpace()
		case ']':
			d.pos++
			return a, true
		default:
			return nil, false
		}
	}
}

// string reads a string token. One without escapes is its bytes, if they
// are valid UTF-8 with no control characters; one with escapes is
// unquoted by encoding/json itself, so its rules (surrogates, invalid
// UTF-8) apply unchanged.
func (d *fastDecoder) string() (string, bool) {
	start := d.pos
	d.pos++ // opening quote
	plain, ascii := true, true
	for d.pos < len(d.raw) {
		switch c := d.raw[d.pos]; {
		case c == '"':
			d.pos++
			if !plain {
				var s string
				if err := json.Unmarshal(d.raw[start:d.pos], &s); err != nil {
					return "", false
				}
				return s, true
			}
			body := d.raw[start+1 : d.pos-1]
			if !ascii && !utf8.Valid(body) {
				return "", false
			}
			return string(body), true
		case c == '\\':
			plain = false
			d.pos += 2
		case c < 0x20:
			return "", false
		default:
			if c >= utf8.RuneSelf {
				ascii = false
			}
			d.pos++
		}
	}
	return "", false
}

// number reads a number token of strict JSON grammar, kept as written.
func (d *fastDecoder) number() (any, bool) {
	start := d.pos
	if d.peek() == '-' {
		d.pos++
	}
	switch c := d.peek(); {
	case c == '0':
		d.pos++
	case c >= '1' && c <= '9':
		d.digits()
	default:
		return nil, false
	}
	if d.peek() == '.' {
		d.pos++
		if !d.digits() {
			return nil, false
		}
	}
	if c := d.peek(); c == 'e' || c == 'E' {
		d.pos++
		if c := d.peek(); c == '+' || c == '-' {
			d.pos++
		}
		if !d.digits() {
			return nil, false
		}
	}
	return json.Number(d.raw[start:d.pos]), true
}

func (d *fastDecoder) digits() bool {
	start := d.pos
	for d.pos < len(d.raw) && d.raw[d.pos] >= '0' && d.raw[d.pos] <= '9' {
		d.pos++
	}
	return d.pos > start
}

func (d *fastDecoder) peek() byte {
	if d.pos < len(d.raw) {
		return d.raw[d.pos]
	}
	return 0
}

func (d *fastDecoder) literal() (any, bool) {
	for _, l := range [...]struct {
		text  string
		value any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if len(d.raw)-d.pos >= len(l.text) && string(d.raw[d.pos:d.pos+len(l.text)]) == l.text {
			d.pos += len(l.text)
			return l.value, true
		}
	}
	return nil, false
}

// splitFast splits a payload that is a JSON array into its items, each
// with its decoded value (as decodeFast decodes), in one pass over the
// body: splitting, validating and describing used to parse each document
// three times. ok is false for anything else (a bare object, invalid or
// unusual JSON): the caller then takes SplitPayload's path, which gives
// the exact answer or error. The items share body's memory.
func splitFast(body []byte) (items []json.RawMessage, values []any, ok bool) {
	d := fastDecoder{raw: body}
	d.skipSpace()
	if d.peek() != '[' {
		return nil, nil, false
	}
	d.pos++
	d.skipSpace()
	if d.peek() == ']' {
		d.pos++
		d.skipSpace()
		return []json.RawMessage{}, []any{}, d.pos == len(body)
	}
	for {
		start := d.pos
		v, ok := d.value(1)
		if !ok {
			return nil, nil, false
		}
		items = append(items, json.RawMessage(body[start:d.pos]))
		values = append(values, v)
		d.skipSpace()
		switch d.peek() {
		case ',':
			d.pos++
			d.skipSpace()
		case ']':
			d.pos++
			d.skipSpace()
			return items, values, d.pos == len(body)
		default:
			return nil, nil, false
		}
	}
}
