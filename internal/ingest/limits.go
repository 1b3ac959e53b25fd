package ingest

import (
	"github.com/usher-hub/usher"
)

// DefaultMaxDocuments bounds the documents of one push. S-360 sends at most
// 50; without a bound a 4 MiB body of two million tiny items once cost
// 3.5 GB of memory and 75 s of a core, and an answer of 94 MB.
const DefaultMaxDocuments = 1000

// maxListedProblems bounds the violations an answer lists: the counts are
// always exact, but a report of every problem of a thousand bad documents
// would be the size of a database dump.
const maxListedProblems = 100

// countItems counts the items of the JSON array body is, scanning its
// bytes without decoding (no allocation), and stops once it has counted
// past limit. A body that is not an array counts as one item; one that is
// not valid JSON is counted as far as it reads like JSON, and the parse
// that follows reports what is wrong with it.
func countItems(body []byte, limit int) int {
	i := 0
	for i < len(body) && isSpace(body[i]) {
		i++
	}
	if i >= len(body) || body[i] != '[' {
		return 1
	}
	depth, count, empty := 0, 0, true
	for ; i < len(body); i++ {
		switch c := body[i]; c {
		case '"':
			i = stringEnd(body, i)
			empty = false
		case '[', '{':
			depth++
			if depth > 1 {
				empty = false
			}
		case ']', '}':
			depth--
			if depth == 0 {
				if !empty {
					count++
				}
				return count
			}
		case ',':
			if depth == 1 {
				count++
				if count > limit {
					return count
				}
			}
		default:
			if !isSpace(c) {
				empty = false
			}
		}
	}
	if !empty {
		count++
	}
	return count
}

// stringEnd returns the index of the quote closing the string that opens
// at body[start], or len(body).
func stringEnd(body []byte, start int) int {
	for i := start + 1; i < len(body); i++ {
		switch body[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return len(body)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// tooManyDocuments is the error for a payload over the limit.
func tooManyDocuments(limit int) error {
	return usher.Errorf(usher.ETOOLARGE,
		"payload holds more than %d documents, the limit per push (ingest.max_documents); S-360 sends at most 50: send them in smaller payloads", limit)
}

// listed keeps the reports of the first documents whose violations add
// up to at most maxListedProblems (the first document's first problems
// at least), and returns how many reports it left out.
func listed(reports []usher.DocumentReport) ([]usher.DocumentReport, int) {
	problems := 0
	for i, r := range reports {
		if problems+len(r.Violations) > maxListedProblems {
			if i == 0 {
				r.Violations = r.Violations[:maxListedProblems]
				return []usher.DocumentReport{r}, len(reports) - 1
			}
			return reports[:i], len(reports) - i
		}
		problems += len(r.Violations)
	}
	return reports, 0
}
