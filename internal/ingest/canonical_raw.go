package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sync"
	"unicode/utf8"
)

// hashRaw returns usher.HashJSON of raw, one JSON value, in one pass over
// its bytes: json.Marshal's encoding of the value (objects' keys sorted,
// the last of duplicate keys kept, strings escaped as encoding/json
// escapes them, numbers as written) is written straight from raw, without
// building the decoded maps again. ok is false for anything it does not
// handle itself (invalid UTF-8, a string escape, HTML characters or
// U+2028/U+2029 in a key, too deep a nesting, malformed JSON): the caller
// then hashes the decoded value (hashDecoded), which gives the same hash
// the long way. FuzzHashRawIsHashJSON holds the two together.
func hashRaw(raw []byte) (string, bool) {
	bp := canonicalBuffers.Get().(*[]byte)
	c := rawCanonicalizers.Get().(*rawCanonicalizer)
	defer rawCanonicalizers.Put(c)
	c.raw, c.pos, c.members = raw, 0, c.members[:0]
	c.skipSpace()
	canonical, ok := c.value((*bp)[:0], 0)
	c.skipSpace()
	ok = ok && c.pos == len(raw)
	var sum [sha256.Size]byte
	if ok {
		sum = sha256.Sum256(canonical)
	}
	if cap(canonical) <= maxPooledBuffer {
		*bp = canonical
		canonicalBuffers.Put(bp)
	}
	if !ok {
		return "", false
	}
	return hex.EncodeToString(sum[:]), true
}

var rawCanonicalizers = sync.Pool{New: func() any { return &rawCanonicalizer{members: make([]rawMember, 0, 64)} }}

// rawCanonicalizer walks raw. members is a stack shared by the objects
// being written, each using the part above where its parent's ends.
type rawCanonicalizer struct {
	raw     []byte
	pos     int
	members []rawMember
}

// rawMember is an object member: its key's bytes (as written, which for
// the keys accepted is the decoded key) and its value's span in raw.
type rawMember struct {
	key        []byte
	start, end int
}

func (c *rawCanonicalizer) skipSpace() {
	for c.pos < len(c.raw) {
		switch c.raw[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

func (c *rawCanonicalizer) value(dst []byte, depth int) ([]byte, bool) {
	if c.pos >= len(c.raw) || depth > maxFastDepth {
		return dst, false
	}
	switch b := c.raw[c.pos]; {
	case b == '{':
		return c.object(dst, depth+1)
	case b == '[':
		return c.array(dst, depth+1)
	case b == '"':
		return c.string(dst)
	case b == '-' || (b >= '0' && b <= '9'):
		start := c.pos
		if !c.number() {
			return dst, false
		}
		return append(dst, c.raw[start:c.pos]...), true // json.Number marshals as written
	default:
		for _, l := range [...]string{"true", "false", "null"} {
			if len(c.raw)-c.pos >= len(l) && string(c.raw[c.pos:c.pos+len(l)]) == l {
				c.pos += len(l)
				return append(dst, l...), true
			}
		}
		return dst, false
	}
}

// plainString reads the string token at pos and returns its contents if
// json.Marshal writes them back unchanged: valid UTF-8, no escape, no
// control character, no '<', '>' or '&', no U+2028 or U+2029.
func (c *rawCanonicalizer) plainString() ([]byte, bool) {
	start := c.pos + 1
	for i := start; i < len(c.raw); {
		b := c.raw[i]
		if b < utf8.RuneSelf {
			switch {
			case b == '"':
				c.pos = i + 1
				return c.raw[start:i], true
			case b < 0x20 || b == '\\' || b == '<' || b == '>' || b == '&':
				return nil, false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(c.raw[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			return nil, false
		}
		i += size
	}
	return nil, false
}

// string writes a string value: as written when plain, else decoded by
// encoding/json and escaped as json.Marshal escapes it.
func (c *rawCanonicalizer) string(dst []byte) ([]byte, bool) {
	start := c.pos
	if s, ok := c.plainString(); ok {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"'), true
	}
	d := fastDecoder{raw: c.raw, pos: start}
	s, ok := d.string()
	if !ok {
		return dst, false
	}
	c.pos = d.pos
	return appendString(dst, s), true
}

func (c *rawCanonicalizer) array(dst []byte, depth int) ([]byte, bool) {
	c.pos++ // '['
	dst = append(dst, '[')
	c.skipSpace()
	if c.pos < len(c.raw) && c.raw[c.pos] == ']' {
		c.pos++
		return append(dst, ']'), true
	}
	for first := true; ; first = false {
		if !first {
			dst = append(dst, ',')
		}
		var ok bool
		if dst, ok = c.value(dst, depth); !ok {
			return dst, false
		}
		c.skipSpace()
		if c.pos >= len(c.raw) {
			return dst, false
		}
		switch c.raw[c.pos] {
		case ',':
			c.pos++
			c.skipSpace()
		case ']':
			c.pos++
			return append(dst, ']'), true
		default:
			return dst, false
		}
	}
}

// object reads the members' keys and value spans, sorts them by key
// (stably, so that of equal keys the last read is the last kept), and
// writes each kept member's value from its span.
func (c *rawCanonicalizer) object(dst []byte, depth int) ([]byte, bool) {
	c.pos++ // '{'
	base := len(c.members)
	dst, ok := c.members1(dst, depth, base)
	c.members = c.members[:base]
	return dst, ok
}

func (c *rawCanonicalizer) members1(dst []byte, depth, base int) ([]byte, bool) {
	c.skipSpace()
	if c.pos < len(c.raw) && c.raw[c.pos] == '}' {
		c.pos++
		return append(dst, '{', '}'), true
	}
	for {
		if c.pos >= len(c.raw) || c.raw[c.pos] != '"' {
			return dst, false
		}
		key, ok := c.plainString()
		if !ok {
			return dst, false
		}
		c.skipSpace()
		if c.pos >= len(c.raw) || c.raw[c.pos] != ':' {
			return dst, false
		}
		c.pos++
		c.skipSpace()
		start := c.pos
		if !c.skipValue(depth) {
			return dst, false
		}
		c.members = append(c.members, rawMember{key: key, start: start, end: c.pos})
		c.skipSpace()
		if c.pos >= len(c.raw) {
			return dst, false
		}
		if c.raw[c.pos] == '}' {
			c.pos++
			break
		}
		if c.raw[c.pos] != ',' {
			return dst, false
		}
		c.pos++
		c.skipSpace()
	}
	end := c.pos
	members := c.members[base:]
	slices.SortStableFunc(members, func(a, b rawMember) int { return bytes.Compare(a.key, b.key) })
	dst = append(dst, '{')
	written := false
	for i := range len(members) {
		m := c.members[base+i] // read again: a value's objects may move the stack
		c.pos = m.start
		if i+1 < len(members) && bytes.Equal(c.members[base+i+1].key, m.key) {
			// A later duplicate wins; this value is still checked, then dropped.
			mark := len(dst)
			var ok bool
			if dst, ok = c.value(dst, depth); !ok || c.pos != m.end {
				return dst, false
			}
			dst = dst[:mark]
			continue
		}
		if written {
			dst = append(dst, ',')
		}
		written = true
		dst = append(dst, '"')
		dst = append(dst, m.key...)
		dst = append(dst, '"', ':')
		var ok bool
		if dst, ok = c.value(dst, depth); !ok || c.pos != m.end {
			return dst, false
		}
	}
	c.pos = end
	return append(dst, '}'), true
}

// skipValue moves past the value at pos, checking only its brackets and
// strings: object then writes it, checking it whole.
func (c *rawCanonicalizer) skipValue(depth int) bool {
	open := 0
	for c.pos < len(c.raw) {
		b := c.raw[c.pos]
		switch b {
		case '"':
			c.pos++
			for c.pos < len(c.raw) && c.raw[c.pos] != '"' {
				if c.raw[c.pos] == '\\' {
					c.pos++
				}
				c.pos++
			}
			if c.pos >= len(c.raw) {
				return false
			}
			c.pos++
		case '{', '[':
			open++
			if depth+open > maxFastDepth {
				return false
			}
			c.pos++
		case '}', ']':
			if open == 0 {
				return true
			}
			open--
			c.pos++
		case ',':
			if open == 0 {
				return true
			}
			c.pos++
		case ' ', '\t', '\n', '\r':
			if open == 0 {
				return true
			}
			c.pos++
		default:
			c.pos++
		}
		if open == 0 && (b == '"' || b == '}' || b == ']') {
			return true
		}
	}
	return open == 0
}

// number moves past a number token of strict JSON grammar, as
// fastDecoder.number reads it.
func (c *rawCanonicalizer) number() bool {
	d := fastDecoder{raw: c.raw, pos: c.pos}
	if d.peek() == '-' {
		d.pos++
	}
	switch b := d.peek(); {
	case b == '0':
		d.pos++
	case b >= '1' && b <= '9':
		d.digits()
	default:
		return false
	}
	if d.peek() == '.' {
		d.pos++
		if !d.digits() {
			return false
		}
	}
	if b := d.peek(); b == 'e' || b == 'E' {
		d.pos++
		if b := d.peek(); b == '+' || b == '-' {
			d.pos++
		}
		if !d.digits() {
			return false
		}
	}
	c.pos = d.pos
	return true
}
