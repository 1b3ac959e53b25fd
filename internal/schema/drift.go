package schema

import (
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// maxDriftKeys bounds the memory the once-per-field bookkeeping can take.
// Pushes are authenticated, but a broken upstream emitting a new field
// name per document must not grow usher without limit.
const maxDriftKeys = 10000

// DriftReporter reports each field a schema does not know once per
// institution and document type: a log line and a metric increment the
// first time it is seen, nothing after, so an upstream change is visible
// at once without flooding the log.
type DriftReporter struct {
	logger  *slog.Logger
	counter *prometheus.CounterVec // may be nil

	mu   sync.Mutex
	seen map[string]struct{}
	full bool
}

// NewDriftReporter reports to logger and, when counter is not nil, to
// counter with labels institution and doc_type.
func NewDriftReporter(logger *slog.Logger, counter *prometheus.CounterVec) *DriftReporter {
	return &DriftReporter{logger: logger, counter: counter, seen: map[string]struct{}{}}
}

// UnknownField stands for the name of a field the schema does not know in
// the paths drift logs: a name is data the venue's upstream chose, and a
// map keyed by e-mail address or by person puts personal data in it.
const UnknownField = "<unknown>"

// Report records the unknown field paths of one document: each distinct
// field counts once in the metric, and each place where unknown fields
// appear is logged once, the unknown name replaced by UnknownField (the
// path up to it holds only names the schema knows). The field itself is
// kept in the stored document, where an operator can read it.
func (d *DriftReporter) Report(institution string, s *Schema, unknown []string) {
	if d == nil || len(unknown) == 0 {
		return
	}
	fresh := d.firstSeen(institution, s.Type, unknown)
	if d.counter != nil && len(fresh) > 0 {
		d.counter.WithLabelValues(institution, s.Type).Add(float64(len(fresh)))
	}
	places := make([]string, 0, len(fresh))
	for _, p := range fresh {
		places = append(places, redactLastName(p))
	}
	for _, p := range d.firstSeen(institution, s.Type+"\x00logged", places) {
		d.logger.Warn("schema drift: a field the schema does not know was kept (its name is not logged)",
			"institution", institution, "doc_type", s.Type, "field", p, "schema_version", s.Version())
	}
}

// redactLastName replaces the last name of a path rendered by shape (the
// unknown field's, "$.a[*].name" or `$.a["odd name"]`) by UnknownField.
// Inside a quoted name every '"' is escaped, so the last `["` opens it.
func redactLastName(path string) string {
	if strings.HasSuffix(path, `"]`) {
		if i := strings.LastIndex(path, `["`); i >= 0 {
			return path[:i] + "." + UnknownField
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i] + "." + UnknownField
	}
	return "$." + UnknownField
}

// firstSeen returns, sorted and each once, the paths not seen before for
// institution and docType.
func (d *DriftReporter) firstSeen(institution, docType string, paths []string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	paths = slices.Compact(slices.Sorted(slices.Values(paths)))
	var fresh []string
	for _, p := range paths {
		key := institution + "\x00" + docType + "\x00" + p
		if _, ok := d.seen[key]; ok {
			continue
		}
		if len(d.seen) >= maxDriftKeys {
			if !d.full {
				d.full = true
				d.logger.Warn("schema drift: too many distinct unknown fields; no longer reporting new ones", "limit", maxDriftKeys)
			}
			return fresh
		}
		d.seen[key] = struct{}{}
		fresh = append(fresh, p)
	}
	return fresh
}
