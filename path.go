package usher

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// A document path's bounds: its length and its steps.
const (
	maxPathLen   = 256
	maxPathSteps = 32
)

// IndexedPath is a JSON path of one stream that the store keeps an index
// on (config documents.indexed_paths), so that the document browser's
// path filter on it reads only the matching versions.
type IndexedPath struct {
	Stream Stream
	// Path is in ParseDocumentPath's syntax, such as
	// $.orderDetailsData.orderState.
	Path string
}

// ParseDocumentPath checks a JSON path of the document browser's subset
// ($ then .name or [index] steps) and returns its steps, an array index as
// its decimal digits: "$.a.b[0]" is [a b 0]. Names are letters, digits
// and '_' only, so a path that passes can be written into SQL text (an
// indexed path's index and query) without any character to escape.
func ParseDocumentPath(path string) ([]string, error) {
	bad := func(why string) error {
		return Errorf(EINVALID, "path %q: %s; a path is $ then .name or [index] steps, such as $.email or $.orderDetailsData.items[0].id", path, why)
	}
	if len(path) > maxPathLen {
		return nil, bad(fmt.Sprintf("longer than %d characters", maxPathLen))
	}
	if !strings.HasPrefix(path, "$") {
		return nil, bad("it must start with $")
	}
	var keys []string
	for i := 1; i < len(path); {
		if len(keys) == maxPathSteps {
			return nil, bad(fmt.Sprintf("more than %d steps", maxPathSteps))
		}
		switch path[i] {
		case '.':
			j := i + 1
			for j < len(path) && (isNameByte(path[j]) || j > i+1 && path[j] >= '0' && path[j] <= '9') {
				j++
			}
			if j == i+1 {
				return nil, bad(fmt.Sprintf("a name must follow the '.' at %d (letters, digits and '_', not starting with a digit)", i+1))
			}
			keys = append(keys, path[i+1:j])
			i = j
		case '[':
			j := i + 1
			for j < len(path) && path[j] >= '0' && path[j] <= '9' {
				j++
			}
			if j == i+1 || j-i-1 > 6 || j >= len(path) || path[j] != ']' || (path[i+1] == '0' && j > i+2) {
				return nil, bad(fmt.Sprintf("an index at %d must be [digits], from 0 to 999999 without leading zeros", i+1))
			}
			keys = append(keys, path[i+1:j])
			i = j + 1
		default:
			return nil, bad(fmt.Sprintf("unexpected %q at %d", path[i], i+1))
		}
	}
	if len(keys) == 0 {
		return nil, bad("it names no value inside the document")
	}
	return keys, nil
}

func isNameByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

// Validate checks p's stream (a stream's name: 1 to 64 of a-z, 0-9, '.',
// '_' and '-', not the immutable ticket checks) and its path
// (ParseDocumentPath), with an EINVALID error naming the problem.
func (p IndexedPath) Validate() error {
	if p.Stream == StreamTicketChecks {
		return Errorf(EINVALID, "stream %s: ticket checks are immutable and not browsed; index a path of contacts, orders or a website stream", p.Stream)
	}
	if len(p.Stream) == 0 || len(p.Stream) > 64 || strings.IndexFunc(string(p.Stream), func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-')
	}) >= 0 {
		return Errorf(EINVALID, "stream %q: a stream name is 1 to 64 of a-z, 0-9, '.', '_' and '-'", p.Stream)
	}
	_, err := ParseDocumentPath(p.Path)
	return err
}

// PathIndexer keeps the store's indexes on document paths: those of
// paths, and no other.
type PathIndexer interface {
	// IndexPaths drops the indexes of paths no longer configured and
	// builds the missing ones, each serving the document browser once
	// built. It takes as long as the builds take.
	IndexPaths(ctx context.Context, paths []IndexedPath, log *slog.Logger) error
	// RecheckPathIndexes reads which of those indexes are valid in the
	// database now (another replica may have dropped or built one): the
	// browser reads only those. Called after IndexPaths, periodically.
	RecheckPathIndexes(ctx context.Context) error
}
