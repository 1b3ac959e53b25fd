package schema

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// timestampLayouts are the date-time forms the upstreams really send:
// S-360 webhooks "2020-10-13T10:09:27.503+00:00", its data-export queries
// "2023-02-09 18:25:10" and "2023-01-28 17:00:00.0" (no zone), Centaman
// "2026-04-02T18:24:05.8178053-05:00" and "2018-07-19T00:00:00".
// They are grouped by the separator between date and time, so a value is
// tried only against the layouts it can match.
var timestampLayouts = map[byte][]string{
	'T': {"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700"},
	' ': {"2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00"},
}

func isTimestamp(s string) bool {
	if len(s) < len("2006-01-02 15:04:05") {
		return false
	}
	for _, layout := range timestampLayouts[s[len("2006-01-02")]] {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// isDate accepts a calendar date, or a timestamp (Centaman sends dates of
// birth and session dates both ways).
func isDate(s string) bool {
	if _, err := time.Parse("2006-01-02", s); err == nil {
		return true
	}
	return isTimestamp(s)
}

// isClock accepts a wall-clock time such as Centaman's "14:30".
func isClock(s string) bool {
	for _, layout := range []string{"15:04", "15:04:05"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// isEmail is a deliberately plain check: one @, a non-empty local part, a
// dotted domain, no spaces. It catches swapped fields and typos, not every
// address RFC 5322 forbids.
func isEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>,;") {
		return false
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.Contains(domain, "@") {
		return false
	}
	dot := strings.LastIndexByte(domain, '.')
	return dot > 0 && dot < len(domain)-1 && !strings.HasPrefix(domain, ".") && !strings.Contains(domain, "..")
}

// isInteger reports whether a JSON number has an integral value, so 3 and
// 3.0 pass while 3.5 does not. S-360 ids exceed 2^53, so the check is
// exact, never through float64.
func isInteger(n json.Number) bool {
	s := n.String()
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return true
	}
	r, ok := new(big.Rat).SetString(s)
	return ok && r.IsInt()
}

// maxShown bounds how much of a value a message quotes, so one huge field
// does not bloat the report.
const maxShown = 60

// describe renders a decoded JSON value for a message: its JSON type and,
// for scalars, the value itself, as in `string "A12"` or `number 1.5`.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean " + strconv.FormatBool(x)
	case json.Number:
		return "number " + shorten(x.String())
	case string:
		if x == "" {
			return `empty string ""`
		}
		return "string " + strconv.Quote(shorten(x))
	case map[string]any:
		return "object"
	case []any:
		return "list"
	}
	return fmt.Sprintf("%T", v)
}

func shorten(s string) string {
	if len(s) <= maxShown {
		return s
	}
	cut := maxShown
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// expectation is what a message says a rule wanted.
func expectation(r *rule) string {
	switch r.kind {
	case kindObject:
		return "object"
	case kindList:
		return "list"
	case kindString:
		return "string"
	case kindInt:
		return "integer"
	case kindNumber:
		return "number"
	case kindBool:
		return "boolean"
	case kindTimestamp:
		return `timestamp such as "2023-02-09 18:25:10" or "2020-10-13T10:09:27.503+00:00"`
	case kindDate:
		return `date such as "2018-07-19"`
	case kindTime:
		return `time of day such as "14:30"`
	case kindEmail:
		return "email address"
	case kindEnum:
		return "one of " + strings.Join(r.enum, ", ")
	}
	return "any value"
}

// childPath appends a member name to a JSON path: $.name for plain names,
// $["odd name"] for names a dotted path cannot show unambiguously, such as
// S-360's "socialConnections.providerUserReference".
func childPath(parent, name string) string {
	if plainName(name) {
		return parent + "." + name
	}
	return parent + "[" + strconv.Quote(name) + "]"
}

func plainName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		letter := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}
