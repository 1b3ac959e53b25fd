package site

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// credentialWords are the parts of a field name that mark a credential.
// Names are compared lower-cased with everything but letters and digits
// dropped, so Password, password, PASS_WORD and pass-word all match.
var credentialWords = []string{"password", "passwd", "passphrase", "pwd", "secret", "credential", "token", "apikey", "privatekey"}

// isCredentialField reports whether an object member named name may hold
// a credential, such as the Password field of Centaman's member records.
func isCredentialField(name string) bool {
	var b strings.Builder
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	folded := b.String()
	if folded == "pin" {
		return true
	}
	for _, w := range credentialWords {
		if strings.Contains(folded, w) {
			return true
		}
	}
	return false
}

// withoutCredentials returns the JSON document raw without the object
// members whose names look like credentials, at any depth. Every other
// byte is kept as received (order, spacing, number forms, escapes), so the
// copy differs from what Centaman sent only by what was removed; raw
// itself is returned when it holds no such member.
func withoutCredentials(raw []byte) ([]byte, error) {
	if !json.Valid(raw) {
		return nil, errors.New("not valid JSON")
	}
	sc := &jsonScanner{data: raw}
	sc.value()
	if len(sc.cuts) == 0 {
		return raw, nil
	}
	slices.SortFunc(sc.cuts, func(a, b byteSpan) int { return a.from - b.from })
	out := make([]byte, 0, len(raw))
	next := 0
	for _, c := range sc.cuts {
		if c.from > next {
			out = append(out, raw[next:c.from]...)
		}
		next = max(next, c.to)
	}
	return append(out, raw[next:]...), nil
}

// byteSpan is a range [from, to) of a document's bytes.
type byteSpan struct{ from, to int }

// jsonScanner walks a document already known to be valid JSON and
// records the spans to cut: each credential member with one comma next
// to it, so what is left is valid JSON too.
type jsonScanner struct {
	data []byte
	pos  int
	cuts []byteSpan
}

func (sc *jsonScanner) space() {
	for sc.pos < len(sc.data) {
		switch sc.data[sc.pos] {
		case ' ', '\t', '\n', '\r':
			sc.pos++
		default:
			return
		}
	}
}

// value skips one value and the space before it; it stops right after
// the value, so a member's span ends where its value does.
func (sc *jsonScanner) value() {
	sc.space()
	if sc.pos >= len(sc.data) {
		return
	}
	switch sc.data[sc.pos] {
	case '{':
		sc.object()
	case '[':
		sc.array()
	case '"':
		sc.str()
	default: // a number, true, false or null
		for sc.pos < len(sc.data) && !strings.ContainsRune(",}] \t\n\r", rune(sc.data[sc.pos])) {
			sc.pos++
		}
	}
}

// str skips a string and returns its decoded value.
func (sc *jsonScanner) str() string {
	start := sc.pos
	escaped := false
	for sc.pos++; sc.pos < len(sc.data) && sc.data[sc.pos] != '"'; sc.pos++ {
		if sc.data[sc.pos] == '\\' {
			escaped = true
			sc.pos++
		}
	}
	sc.pos++
	lit := sc.data[start:min(sc.pos, len(sc.data))]
	if !escaped {
		return string(lit[1 : len(lit)-1])
	}
	var s string
	_ = json.Unmarshal(lit, &s) // valid JSON: cannot fail
	return s
}

func (sc *jsonScanner) array() {
	sc.pos++ // [
	for {
		sc.space()
		if sc.pos >= len(sc.data) || sc.data[sc.pos] == ']' {
			sc.pos++
			return
		}
		sc.value()
		sc.space()
		if sc.pos < len(sc.data) && sc.data[sc.pos] == ',' {
			sc.pos++
		}
	}
}

// object skips an object and records the cuts of its credential members.
// A cut member takes the comma before it when a kept member precedes it,
// else the comma after it, so "{a, pw, b}", "{pw, b}", "{a, pw}" and
// "{pw}" become "{a, b}", "{b}", "{a}" and "{}".
func (sc *jsonScanner) object() {
	type member struct {
		from, to int
		cut      bool
	}
	var members []member
	sc.pos++ // {
	for {
		sc.space()
		if sc.pos >= len(sc.data) || sc.data[sc.pos] == '}' {
			sc.pos++
			break
		}
		from := sc.pos
		name := sc.str()
		sc.space()
		sc.pos++ // :
		sc.value()
		members = append(members, member{from: from, to: sc.pos, cut: isCredentialField(name)})
		sc.space()
		if sc.pos < len(sc.data) && sc.data[sc.pos] == ',' {
			sc.pos++
		}
	}
	keptEnd := -1
	for i, m := range members {
		switch {
		case !m.cut:
			keptEnd = m.to
		case keptEnd >= 0:
			sc.cuts = append(sc.cuts, byteSpan{keptEnd, m.to})
		case i+1 < len(members):
			sc.cuts = append(sc.cuts, byteSpan{m.from, members[i+1].from})
		default:
			sc.cuts = append(sc.cuts, byteSpan{m.from, m.to})
		}
	}
}
