package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// canonicalBuffers recycles the buffers canonical encodings are written
// into: a document's encoding is hashed and dropped, so a request need not
// allocate one per document.
const maxPooledBuffer = 256 << 10

var canonicalBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// hashDecoded returns usher.HashJSON of the document that fields were
// decoded from. HashJSON hashes json.Marshal of the decoded value; this
// writes the same bytes without reflection, for the only types a decoder
// with UseNumber produces (maps, slices, strings, json.Number, bools and
// nil), which was a quarter of the request handler's CPU
// (docs/performance.md). TestDescribeHashIsHashJSON, FuzzDescribeHash and
// FuzzCanonicalIsMarshal hold the two together.
func hashDecoded(fields map[string]any) (string, error) {
	bp := canonicalBuffers.Get().(*[]byte)
	canonical, err := appendCanonical((*bp)[:0], fields)
	// Hash before the buffer goes back to the pool: once it is there,
	// another request may write into it.
	sum := sha256.Sum256(canonical)
	if cap(canonical) <= maxPooledBuffer { // one huge document must not pin its buffer
		*bp = canonical
		canonicalBuffers.Put(bp)
	}
	if err != nil {
		return "", fmt.Errorf("hash: %w", err)
	}
	return hex.EncodeToString(sum[:]), nil
}

// appendCanonical appends json.Marshal's encoding of v: object keys in
// sorted order, strings escaped as encoding/json escapes them (HTML
// characters included), numbers digit for digit.
func appendCanonical(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		if v {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case string:
		return appendString(dst, v), nil
	case json.Number:
		// A decoder only makes valid numbers; an empty one marshals as 0.
		if v == "" {
			return append(dst, '0'), nil
		}
		return append(dst, v...), nil
	case []any:
		return appendArray(dst, v)
	case map[string]any:
		return appendObject(dst, v)
	default:
		// Not produced by decoding: let encoding/json decide.
		b, err := json.Marshal(v)
		return append(dst, b...), err
	}
}

func appendArray(dst []byte, a []any) ([]byte, error) {
	if a == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '[')
	var err error
	for i, e := range a {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = appendCanonical(dst, e); err != nil {
			return dst, err
		}
	}
	return append(dst, ']'), nil
}

func appendObject(dst []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(dst, "null"...), nil
	}
	var small [32]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, strings.Compare) // as encoding/json sorts map keys
	dst = append(dst, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		if dst, err = appendCanonical(dst, m[k]); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

const hexDigits = "0123456789abcdef"

// appendString is encoding/json's string encoding with HTML escaping on,
// as json.Marshal uses: '"', '\\', control characters, '<', '>', '&',
// U+2028 and U+2029 escaped, invalid UTF-8 replaced by \ufffd.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
