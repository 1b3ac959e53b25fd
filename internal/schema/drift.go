package schema

import (
	"log/slog"
	"sort"
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

// Report records the unknown field paths of one document.
func (d *DriftReporter) Report(institution string, s *Schema, unknown []string) {
	if d == nil || len(unknown) == 0 {
		return
	}
	fresh := d.firstSeen(institution, s.Type, unknown)
	sort.Strings(fresh)
	for _, p := range fresh {
		d.logger.Warn("schema drift: a field the schema does not know was kept",
			"institution", institution, "doc_type", s.Type, "field", p, "schema_version", s.Version())
		if d.counter != nil {
			d.counter.WithLabelValues(institution, s.Type).Inc()
		}
	}
}

func (d *DriftReporter) firstSeen(institution, docType string, paths []string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
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
