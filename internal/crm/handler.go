package crm

import (
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/httpapi"
)

// MaxRequestBytes bounds a CRM write: one contact or booking is at most a
// few kilobytes.
const MaxRequestBytes = 64 << 10

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 200

// Handler serves the CRM API under /api/v1/crm/{institution}/.
type Handler struct {
	svc    *Service
	logger *slog.Logger
}

// NewHandler returns the CRM API handler.
func NewHandler(svc *Service, logger *slog.Logger) *Handler {
	return &Handler{svc: svc, logger: logger}
}

// Mount adds the CRM routes to mux, each behind keys.
func (h *Handler) Mount(mux *http.ServeMux, keys *httpapi.APIKeys) {
	mux.Handle("POST /api/v1/crm/{institution}/contacts", keys.Require(h.logger, http.HandlerFunc(h.postContact)))
	mux.Handle("POST /api/v1/crm/{institution}/bookings", keys.Require(h.logger, http.HandlerFunc(h.postBooking)))
	mux.Handle("GET /api/v1/crm/{institution}/requests/{id}", keys.Require(h.logger, http.HandlerFunc(h.getRequest)))
}

// postContact serves POST /api/v1/crm/{institution}/contacts: 202 and a
// tracking id once the write is in the outbox.
func (h *Handler) postContact(w http.ResponseWriter, r *http.Request) {
	inst, idem, body, err := h.read(r)
	if err == nil {
		var rc Receipt
		rc, err = h.svc.SubmitContact(r.Context(), inst, idem, body)
		if err == nil {
			httpapi.JSON(w, http.StatusAccepted, rc)
			return
		}
	}
	httpapi.Error(w, r, h.logger, err)
}

// postBooking serves POST /api/v1/crm/{institution}/bookings.
func (h *Handler) postBooking(w http.ResponseWriter, r *http.Request) {
	inst, idem, body, err := h.read(r)
	if err == nil {
		var rc Receipt
		rc, err = h.svc.SubmitBooking(r.Context(), inst, idem, body)
		if err == nil {
			httpapi.JSON(w, http.StatusAccepted, rc)
			return
		}
	}
	httpapi.Error(w, r, h.logger, err)
}

// getRequest serves GET /api/v1/crm/{institution}/requests/{id}.
func (h *Handler) getRequest(w http.ResponseWriter, r *http.Request) {
	inst := r.PathValue("institution")
	if err := httpapi.Authorize(r, inst); err != nil {
		httpapi.Error(w, r, h.logger, err)
		return
	}
	st, err := h.svc.Request(r.Context(), inst, r.PathValue("id"))
	if err != nil {
		httpapi.Error(w, r, h.logger, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, st)
}

// read checks the caller may write for the institution and reads the
// bounded body and the Idempotency-Key.
func (h *Handler) read(r *http.Request) (inst, idem string, body []byte, err error) {
	inst = r.PathValue("institution")
	if err := httpapi.Authorize(r, inst); err != nil {
		return "", "", nil, err
	}
	idem = r.Header.Get("Idempotency-Key")
	if len(idem) > maxIdempotencyKey {
		return "", "", nil, usher.Errorf(usher.EINVALID, "Idempotency-Key is longer than %d bytes", maxIdempotencyKey)
	}
	if r.ContentLength > MaxRequestBytes {
		return "", "", nil, usher.Errorf(usher.ETOOLARGE, "body of %d bytes is over the limit of %d bytes", r.ContentLength, MaxRequestBytes)
	}
	body, err = io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxRequestBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return "", "", nil, usher.Errorf(usher.ETOOLARGE, "body is over the limit of %d bytes", MaxRequestBytes)
	}
	if err != nil {
		return "", "", nil, usher.Errorf(usher.EINVALID, "could not read body: %v", err)
	}
	return inst, idem, body, nil
}
