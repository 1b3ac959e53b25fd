package ingest

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/httpapi"
	"github.com/usher-hub/usher/internal/metrics"
)

// Handler serves POST /s360/{stream}/{institution}.
type Handler struct {
	service      *Service
	institutions map[string]usher.Institution
	maxBody      int64
	metrics      *metrics.Ingest
	logger       *slog.Logger
	throttle     *httpapi.AuthThrottle // nil: not throttled (see throttle.go)
}

// NewHandler returns the push handler for the given institutions.
func NewHandler(service *Service, institutions []usher.Institution, maxBody int64, m *metrics.Ingest, logger *slog.Logger) *Handler {
	byCode := make(map[string]usher.Institution, len(institutions))
	for _, inst := range institutions {
		byCode[inst.Code] = inst
	}
	return &Handler{service: service, institutions: byCode, maxBody: maxBody, metrics: m, logger: logger}
}

// ServeHTTP answers 200 with the outcome counts once the payload is
// committed, and an error status (never 200) otherwise, so S-360 retries.
// A payload with invalid documents is committed (200, the invalid ones
// quarantined and reported) unless the institution's policy is strict,
// which answers 422 with the report and stores nothing.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	streamName := r.PathValue("stream")
	code := r.PathValue("institution")
	result, err := h.serve(r, streamName, code)
	status := http.StatusOK
	if err != nil {
		status = httpapi.StatusOf(err)
		httpapi.Error(w, r, h.logger, err)
	} else {
		httpapi.JSON(w, http.StatusOK, result)
	}
	if _, known := h.institutions[code]; known {
		if _, serr := usher.ParseStream(streamName); serr == nil {
			h.metrics.Payloads.WithLabelValues(streamName, code, strconv.Itoa(status)).Inc()
			h.metrics.Latency.WithLabelValues(streamName).Observe(time.Since(start).Seconds())
		}
	}
}

func (h *Handler) serve(r *http.Request, streamName, code string) (Receipt, error) {
	stream, err := usher.ParseStream(streamName)
	if err != nil {
		return Receipt{}, err
	}
	inst, ok := h.institutions[code]
	if !ok {
		return Receipt{}, usher.Errorf(usher.ENOTFOUND, "unknown institution %q", code)
	}
	if err := h.authenticate(inst, r); err != nil {
		return Receipt{}, err
	}
	body, err := h.readBody(r)
	if err != nil {
		return Receipt{}, err
	}
	return h.service.Ingest(r.Context(), inst, stream, body)
}

func (h *Handler) readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > h.maxBody {
		return nil, usher.Errorf(usher.ETOOLARGE, "body of %d bytes is over the limit of %d bytes", r.ContentLength, h.maxBody)
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, h.maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, usher.Errorf(usher.ETOOLARGE, "body is over the limit of %d bytes", h.maxBody)
	}
	if err != nil {
		return nil, usher.Errorf(usher.EINVALID, "could not read body: %v", err)
	}
	return body, nil
}
