package site

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/httpapi"
)

// SessionHeader carries a member session token.
const SessionHeader = "X-Usher-Member-Session"

// Prefix is where the website API lives.
const Prefix = "/api/v1/site/"

// Handler serves the website API. Every route names its institution, and
// the caller's principal must be allowed to act on it.
type Handler struct {
	svc     *Service
	logger  *slog.Logger
	maxBody int64
	now     func() time.Time
	mux     *http.ServeMux
}

// NewHandler returns the website API over svc; request bodies are bounded
// by maxBody bytes.
func NewHandler(svc *Service, logger *slog.Logger, maxBody int64, now func() time.Time) *Handler {
	h := &Handler{svc: svc, logger: logger, maxBody: maxBody, now: now, mux: http.NewServeMux()}
	const p = "/api/v1/site/{institution}/"
	h.mux.HandleFunc("GET "+p+"events", h.events)
	h.mux.HandleFunc("GET "+p+"status", h.status)
	h.mux.HandleFunc("POST "+p+"holds", h.placeHold)
	h.mux.HandleFunc("GET "+p+"holds/{hold}", h.getHold)
	h.mux.HandleFunc("DELETE "+p+"holds/{hold}", h.releaseHold)
	h.mux.HandleFunc("POST "+p+"checkouts", h.checkout)
	h.mux.HandleFunc("GET "+p+"checkouts", h.unknownCheckouts)
	h.mux.HandleFunc("POST "+p+"checkouts/{checkout}/settlement", h.settle)
	h.mux.HandleFunc("GET "+p+"events/{event}/offer", h.offer)
	h.mux.HandleFunc("GET "+p+"general-tickets", h.generalTickets)
	h.mux.HandleFunc("GET "+p+"membership-types", h.membershipTypes)
	h.mux.HandleFunc("POST "+p+"members", h.join)
	h.mux.HandleFunc("POST "+p+"members/links", h.link)
	h.mux.HandleFunc("POST "+p+"members/sessions", h.startSession)
	h.mux.HandleFunc("GET "+p+"members/me", h.me)
	h.mux.HandleFunc("DELETE "+p+"members/me", h.endSession)
	h.mux.HandleFunc("POST "+p+"members/me/memberships", h.changeMembership)
	h.mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		httpapi.Error(w, r, h.logger, usher.Errorf(usher.ENOTFOUND, "no such website API route: %s %s", r.Method, r.URL.Path))
	})
	return h
}

// API returns the routes without authentication, for a face that
// authenticates its own way and puts a principal in the request context
// (the storefront).
func (h *Handler) API() http.Handler { return h.mux }

// Mount returns the function that adds the routes to the server's mux,
// behind API-key authentication.
func (h *Handler) Mount(keys *httpapi.APIKeys) func(*http.ServeMux) {
	return func(mux *http.ServeMux) { mux.Handle(Prefix, keys.Require(h.logger, h.mux)) }
}

// serve authorises the principal for the route's institution, runs fn and
// writes its answer or error.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, fn func(inst string) (int, any, error)) {
	inst := r.PathValue("institution")
	if err := httpapi.Authorize(r, inst); err != nil {
		httpapi.Error(w, r, h.logger, err)
		return
	}
	status, body, err := fn(inst)
	if err != nil {
		httpapi.Error(w, r, h.logger, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.JSON(w, status, body)
}

// decode reads one JSON object into v: bounded, strict about unknown
// fields (a typo must not be silently ignored), with a clear message.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return usher.Errorf(usher.ETOOLARGE, "body is over the limit of %d bytes", h.maxBody)
	}
	if err != nil {
		return usher.Errorf(usher.EINVALID, "could not read body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return usher.Errorf(usher.EINVALID, "body must be a JSON object as documented: %v", err)
	}
	if dec.More() {
		return usher.Errorf(usher.EINVALID, "body must hold one JSON object")
	}
	return nil
}

// events serves GET /api/v1/site/{institution}/events?date=YYYY-MM-DD
// from the local copy; &source=centaman reads Centaman instead.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func(inst string) (int, any, error) {
		query, err := httpapi.Query(r)
		if err != nil {
			return 0, nil, err
		}
		day := query.Get("date")
		switch query.Get("source") {
		case "", "copy":
			res, err := h.svc.Events(r.Context(), inst, day)
			return http.StatusOK, res, err
		case "centaman":
			res, err := h.svc.UpstreamEvents(r.Context(), inst, day)
			return http.StatusOK, res, err
		default:
			return 0, nil, usher.Errorf(usher.EINVALID, "source must be copy (default) or centaman")
		}
	})
}

// status serves GET /api/v1/site/{institution}/status.
func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func(inst string) (int, any, error) {
		res, err := h.svc.Status(r.Context(), inst)
		return http.StatusOK, res, err
	})
}

// placeHold serves POST /api/v1/site/{institution}/holds: 201 for a new
// hold, 200 when the visitor's hold was replaced and renewed.
func (h *Handler) placeHold(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func(inst string) (int, any, error) {
		var req HoldRequest
		if err := h.decode(w, r, &req); err != nil {
			return 0, nil, err
		}
		hold, created, err := h.svc.PlaceHold(r.Context(), inst, req)
		if err != nil {
			return 0, nil, err
		}
		if created {
			return http.StatusCreated, View(hold, h.now()), nil
		}
		return http.StatusOK, View(hold, h.now()), nil
	})
}

// getHold serves GET /api/v1/site/{institution}/holds/{hold}?visitor=.
func (h *Handler) getHold(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func(inst string) (int, any, error) {
		hold, err := h.svc.GetHold(r.Context(), inst, r.PathValue("hold"), r.URL.Query().Get("visitor"))
		return http.StatusOK, View(hold, h.now()), err
	})
}

// releaseHold serves DELETE /api/v1/site/{institution}/holds/{hold}?visitor=.
func (h *Handler) releaseHold(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func(inst string) (int, any, error) {
		hold, err := h.svc.ReleaseHold(r.Context(), inst, r.PathValue("hold"), r.URL.Query().Get("visitor"))
		return http.StatusOK, View(hold, h.now()), err
	})
}

// checkout serves POST /api/v1/site/{institution}/checkouts: 201 when
// this request recorded the sale, 200 for a replay of an earlier one, 202
// when the sale's answer was lost and the venue is confirming it. With a
// member session header the sale is booked under the member. The sale
// runs to its end even if the caller hangs up, so that a retry finds it
// finished rather than half done.
func (h *Handler) checkout(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func(inst string) (int, any, error) {
		var req CheckoutRequest
		if err := h.decode(w, r, &req); err != nil {
			return 0, nil, err
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), h.svc.opts.CheckoutLease)
		defer cancel()
		res, sold, err := h.svc.Checkout(ctx, inst, r.Header.Get(SessionHeader), req)
		switch {
		case err != nil:
			return 0, nil, err
		case res.State == StateConfirming:
			return http.StatusAccepted, res, nil
		case sold:
			return http.StatusCreated, res, nil
		}
		return http.StatusOK, res, nil
	})
}

func (h *Handler) membershipTypes(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func(inst string) (int, any, error) {
		types, fresh, err := h.svc.MembershipTypes(r.Context(), inst)
		return http.StatusOK, map[string]any{"institution": inst, "freshness": fresh, "membership_types": types}, err
	})
}
