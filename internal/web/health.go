package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/usher-hub/usher"
)

// QuarantineLister lists an institution's quarantined documents, newest
// first. The validation feature provides it; without one the health page
// shows quarantine counts from the metrics only.
type QuarantineLister interface {
	ListQuarantined(ctx context.Context, institution string, limit int) ([]QuarantinedDocument, error)
}

// QuarantinedDocument is one quarantined document as the page shows it.
type QuarantinedDocument struct {
	Stream     usher.Stream
	ExternalID string
	ReceivedAt time.Time
	Violations []usher.Violation
}

// staleAfter is when a silent stream is flagged: S-360 pushes every 15
// minutes, so two missed runs in a row deserve a look.
const staleAfter = 30 * time.Minute

// quarantineShown is how many quarantined documents the page lists.
const quarantineShown = 50

type healthPage struct {
	page
	Window     string
	Streams    []streamRow
	Quarantine []QuarantinedDocument
	// QuarantineListed says whether a quarantine list is available.
	QuarantineListed bool
}

type streamRow struct {
	Stream   usher.Stream
	LastPush string
	Stale    bool
	Received int64
	// Since the process started, from the metrics.
	Accepted, Refused, Quarantined int64
}

// health serves GET /dashboard/health: each stream's last push, what it
// delivered lately, refused payloads and quarantined documents.
func (s *Server) health(w http.ResponseWriter, r *http.Request, p usher.Principal) {
	inst, ok := s.institution(r, p)
	if !ok {
		s.renderError(w, r, p, http.StatusNotFound, "Your key may not see this institution, or none is configured.")
		return
	}
	pg := healthPage{page: s.basePage(r, p, "Ingest health", "health", inst), Window: "24 hours"}
	streams, err := s.deps.Service.Health(r.Context(), inst)
	if err != nil {
		pg.Error = usher.ErrorMessage(err)
		s.render(w, r, http.StatusServiceUnavailable, "health", pg)
		return
	}
	counts := s.ingestCounts(inst)
	now := s.deps.Now()
	for _, st := range streams {
		row := streamRow{Stream: st.Stream, LastPush: "never", Stale: true, Received: st.ReceivedSince}
		if st.LastReceivedAt != nil {
			age := now.Sub(*st.LastReceivedAt)
			row.LastPush = fmt.Sprintf("%s (%s ago)", st.LastReceivedAt.UTC().Format("2006-01-02 15:04 UTC"), age.Round(time.Minute))
			row.Stale = age > staleAfter
		}
		c := counts[st.Stream]
		row.Accepted, row.Refused, row.Quarantined = c.accepted, c.refused, c.quarantined
		pg.Streams = append(pg.Streams, row)
	}
	if s.deps.Quarantine != nil {
		pg.QuarantineListed = true
		if pg.Quarantine, err = s.deps.Quarantine.ListQuarantined(r.Context(), inst, quarantineShown); err != nil {
			pg.Error = usher.ErrorMessage(err)
		}
	}
	s.render(w, r, http.StatusOK, "health", pg)
}

type streamCounts struct {
	accepted, refused, quarantined int64
}

// ingestCounts reads the ingest metrics of institution: payloads answered
// 200 or not, and documents quarantined, per stream.
func (s *Server) ingestCounts(institution string) map[usher.Stream]streamCounts {
	out := map[usher.Stream]streamCounts{}
	if s.deps.Gatherer == nil {
		return out
	}
	families, err := s.deps.Gatherer.Gather()
	if err != nil {
		s.deps.Logger.Warn("gather metrics for the health page", "err", err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := labelsOf(m.GetLabel())
			if labels["institution"] != institution {
				continue
			}
			st := usher.Stream(labels["stream"])
			c := out[st]
			n := int64(m.GetCounter().GetValue())
			switch {
			case f.GetName() == "usher_payloads_total" && labels["status"] == "200":
				c.accepted += n
			case f.GetName() == "usher_payloads_total":
				c.refused += n
			case f.GetName() == "usher_documents_total" && labels["outcome"] == string(usher.OutcomeQuarantined):
				c.quarantined += n
			}
			out[st] = c
		}
	}
	return out
}

func labelsOf(pairs []*dto.LabelPair) map[string]string {
	out := make(map[string]string, len(pairs))
	for _, l := range pairs {
		out[l.GetName()] = l.GetValue()
	}
	return out
}
