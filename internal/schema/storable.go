package schema

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// MaxDepth is how deeply a stored document may nest objects and lists.
// S-360's documents nest six levels at most; SQLite's json_valid refuses
// more than 1,000 and a deeply nested body costs every later reader its
// recursion, so a document deeper than this is quarantined, not stored.
const MaxDepth = 100

// The range of a number PostgreSQL's numeric (which jsonb keeps numbers
// in) can hold: this many digits before the decimal point and after it,
// once the exponent is applied. A document with a number outside it would
// fail its whole payload at commit; SQLite would take it, but a document
// must be storable on either engine, as a database can move between them.
const (
	maxIntegerDigits  = 131072
	maxFractionDigits = 16383
)

// unstorable names what in raw no database column for documents can hold,
// or "" when it can all be stored: bytes that are not UTF-8, the escape
// \u0000 and unpaired surrogate escapes (PostgreSQL's jsonb rejects all
// three), nesting deeper than MaxDepth (SQLite's json_valid refuses
// 1,000 levels) and numbers outside numeric's range (jsonb refuses them).
// Such a document would fail its whole payload at commit, and every retry
// of it; reported as a violation it is quarantined, where the raw bytes
// are kept as they are. raw is scanned once, byte by byte, without
// decoding.
func unstorable(raw []byte) string {
	if !utf8.Valid(raw) {
		return "document is not valid UTF-8 text"
	}
	depth := 0
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '"':
			end, msg := scanString(raw, i)
			if msg != "" {
				return msg
			}
			i = end
		case c == '{' || c == '[':
			depth++
			if depth > MaxDepth {
				return fmt.Sprintf("document nests more than %d levels deep (at byte %d), deeper than usher stores", MaxDepth, i)
			}
		case c == '}' || c == ']':
			depth--
		case c == '-' || (c >= '0' && c <= '9'):
			end := numberEnd(raw, i)
			if msg := numberOutOfRange(string(raw[i:end])); msg != "" {
				return msg
			}
			i = end - 1
		}
	}
	return ""
}

// scanString checks the string token opening at raw[start] and returns
// the index of its closing quote (or len(raw)), and what in it cannot be
// stored.
func scanString(raw []byte, start int) (int, string) {
	for i := start + 1; i < len(raw); i++ {
		switch raw[i] {
		case '"':
			return i, ""
		case '\\':
			if i+1 >= len(raw) {
				return len(raw), ""
			}
			if raw[i+1] != 'u' {
				i++ // skip the escaped character, which may be a backslash or quote
				continue
			}
			n, msg := checkEscape(raw, i)
			if msg != "" {
				return i, msg
			}
			i += n - 1
		}
	}
	return len(raw), ""
}

// checkEscape checks the \u escape at raw[at] and returns its length in
// bytes (12 for a surrogate pair), and what cannot be stored.
func checkEscape(raw []byte, at int) (int, string) {
	code, ok := hex4(raw, at+2)
	switch {
	case !ok:
	case code == 0:
		return 6, `document contains the escape \u0000 (NUL), which cannot be stored`
	case code >= 0xDC00 && code <= 0xDFFF:
		return 6, "document contains an unpaired UTF-16 surrogate escape"
	case code >= 0xD800 && code <= 0xDBFF:
		low, ok := hex4(raw, at+8)
		if !ok || raw[at+6] != '\\' || raw[at+7] != 'u' || low < 0xDC00 || low > 0xDFFF {
			return 6, "document contains an unpaired UTF-16 surrogate escape"
		}
		return 12, ""
	}
	return 6, ""
}

func hex4(raw []byte, at int) (rune, bool) {
	if at < 0 || at+4 > len(raw) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(raw[at:at+4]), 16, 16)
	return rune(n), err == nil
}

// numberEnd returns the index just past the number token at raw[start].
func numberEnd(raw []byte, start int) int {
	i := start
	for i < len(raw) {
		switch c := raw[i]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			i++
		default:
			return i
		}
	}
	return i
}

// numberOutOfRange says why the JSON number n cannot be kept by
// PostgreSQL's numeric, or "". As numeric does, it counts the digits
// before the decimal point from the first significant one, and the
// digits after it as written (trailing zeros included), each shifted by
// the exponent.
func numberOutOfRange(n string) string {
	mantissa, exponent := n, ""
	for i := 0; i < len(n); i++ {
		if n[i] == 'e' || n[i] == 'E' {
			mantissa, exponent = n[:i], n[i+1:]
			break
		}
	}
	if len(mantissa) > 0 && mantissa[0] == '-' {
		mantissa = mantissa[1:]
	}
	integer, fraction := mantissa, ""
	for i := 0; i < len(mantissa); i++ {
		if mantissa[i] == '.' {
			integer, fraction = mantissa[:i], mantissa[i+1:]
			break
		}
	}
	exp, ok := smallExponent(exponent)
	if !ok {
		return outOfRange(n)
	}
	if scale := len(fraction) - exp; scale > maxFractionDigits {
		return outOfRange(n)
	}
	if weight := significantIntegerDigits(integer, fraction) + exp; weight > maxIntegerDigits {
		return outOfRange(n)
	}
	return ""
}

// smallExponent parses an exponent, "" being 0; ok is false for one too
// large in magnitude for any storable number.
func smallExponent(e string) (int, bool) {
	if e == "" {
		return 0, true
	}
	sign := 1
	switch e[0] {
	case '+':
		e = e[1:]
	case '-':
		sign, e = -1, e[1:]
	}
	for len(e) > 1 && e[0] == '0' {
		e = e[1:]
	}
	if len(e) > 9 {
		return 0, false
	}
	v, err := strconv.Atoi(e)
	return sign * v, err == nil
}

// significantIntegerDigits is the position of the first significant digit
// relative to the decimal point: the number of integer digits without
// leading zeros, or for a value below one, minus the zeros after the
// point (0 for a zero, which numeric stores with no digits).
func significantIntegerDigits(integer, fraction string) int {
	for i := 0; i < len(integer); i++ {
		if integer[i] != '0' {
			return len(integer) - i
		}
	}
	for i := 0; i < len(fraction); i++ {
		if fraction[i] != '0' {
			return -i
		}
	}
	return -1 << 30 // zero: no significant digit, any exponent fits
}

func outOfRange(n string) string {
	if len(n) > 40 {
		n = n[:37] + "…"
	}
	return fmt.Sprintf("number %s is out of the range a database can store (at most %d digits before the decimal point and %d after it)", n, maxIntegerDigits, maxFractionDigits)
}
