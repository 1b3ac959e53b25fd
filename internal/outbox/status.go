package outbox

import (
	"context"
	"log/slog"
	"net/http"
	"slices"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/httpapi"
)

// Extra adds to an institution's status what other packages know: the
// S-360 rate-limit headroom, the circuit breaker, echo counts.
type Extra func(ctx context.Context, institution string) (map[string]any, error)

// InstitutionStatus is one institution's part of GET /api/v1/outbox.
type InstitutionStatus struct {
	Institution string `json:"institution"`
	// Jobs counts the institution's jobs by state, all kinds together.
	Jobs map[usher.JobState]int `json:"jobs"`
	// Kinds counts them by kind, then state.
	Kinds map[string]map[usher.JobState]int `json:"kinds"`
	Extra map[string]any                    `json:"extra,omitempty"`
}

// StatusBody is the answer of GET /api/v1/outbox.
type StatusBody struct {
	Institutions []InstitutionStatus `json:"institutions"`
}

// StatusHandler serves GET /api/v1/outbox: queue depths by state and
// kind, and each institution's extras, for the institutions the caller's
// API key may see.
type StatusHandler struct {
	store        usher.OutboxStore
	institutions []string
	extra        Extra
	logger       *slog.Logger
}

// NewStatusHandler returns the status handler for the configured
// institutions; extra may be nil.
func NewStatusHandler(store usher.OutboxStore, institutions []string, extra Extra, logger *slog.Logger) *StatusHandler {
	return &StatusHandler{store: store, institutions: institutions, extra: extra, logger: logger}
}

// ServeHTTP answers GET /api/v1/outbox[?institution=CODE].
func (h *StatusHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := h.status(r)
	if err != nil {
		httpapi.Error(w, r, h.logger, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, body)
}

func (h *StatusHandler) status(r *http.Request) (StatusBody, error) {
	p, ok := httpapi.PrincipalFrom(r.Context())
	if !ok {
		return StatusBody{}, usher.Errorf(usher.EUNAUTHORIZED, "not authenticated")
	}
	query, err := httpapi.Query(r)
	if err != nil {
		return StatusBody{}, err
	}
	want := query.Get("institution")
	if want != "" && (!p.Allows(want) || !slices.Contains(h.institutions, want)) {
		return StatusBody{}, usher.Errorf(usher.ENOTFOUND, "unknown institution %q", want)
	}
	counts, err := h.store.CountJobs(r.Context())
	if err != nil {
		return StatusBody{}, err
	}
	body := StatusBody{Institutions: []InstitutionStatus{}}
	for _, code := range h.institutions {
		if !p.Allows(code) || (want != "" && code != want) {
			continue
		}
		st := InstitutionStatus{Institution: code, Jobs: zeroStates(), Kinds: map[string]map[usher.JobState]int{}}
		for _, c := range counts {
			if c.Institution != code {
				continue
			}
			st.Jobs[c.State] += c.Count
			if st.Kinds[c.Kind] == nil {
				st.Kinds[c.Kind] = zeroStates()
			}
			st.Kinds[c.Kind][c.State] += c.Count
		}
		if h.extra != nil {
			if st.Extra, err = h.extra(r.Context(), code); err != nil {
				return StatusBody{}, err
			}
		}
		body.Institutions = append(body.Institutions, st)
	}
	return body, nil
}

func zeroStates() map[usher.JobState]int {
	m := make(map[usher.JobState]int, len(usher.JobStates))
	for _, s := range usher.JobStates {
		m[s] = 0
	}
	return m
}
