package site

import (
	"net/http"
	"strconv"

	"github.com/usher-hub/usher"
)

// unknownCheckouts serves GET /api/v1/site/{institution}/checkouts?state=unknown:
// the sales whose answer was lost, for the venue to settle.
func (h *Handler) unknownCheckouts(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func(inst string) (int, any, error) {
		if st := r.URL.Query().Get("state"); st != "unknown" {
			return 0, nil, usher.Errorf(usher.EINVALID, "state must be unknown: only checkouts to settle are listed")
		}
		list, err := h.svc.UnknownCheckouts(r.Context(), inst)
		return http.StatusOK, map[string]any{"institution": inst, "checkouts": list}, err
	})
}

// settle serves POST /api/v1/site/{institution}/checkouts/{checkout}/settlement.
func (h *Handler) settle(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func(inst string) (int, any, error) {
		var st Settlement
		if err := h.decode(w, r, &st); err != nil {
			return 0, nil, err
		}
		res, err := h.svc.SettleCheckout(r.Context(), inst, r.PathValue("checkout"), st)
		return http.StatusOK, res, err
	})
}

// offer serves GET /api/v1/site/{institution}/events/{event}/offer: a
// session's prices and extras read now, at the member's prices when a
// member session header is sent.
func (h *Handler) offer(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func(inst string) (int, any, error) {
		id, err := strconv.ParseInt(r.PathValue("event"), 10, 64)
		if err != nil || id <= 0 {
			return 0, nil, usher.Errorf(usher.EINVALID, "event must be a session id from GET …/events")
		}
		res, err := h.svc.Offer(r.Context(), inst, r.Header.Get(SessionHeader), id)
		return http.StatusOK, res, err
	})
}

// generalTickets serves GET /api/v1/site/{institution}/general-tickets.
func (h *Handler) generalTickets(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func(inst string) (int, any, error) {
		res, err := h.svc.GeneralTickets(r.Context(), inst)
		return http.StatusOK, map[string]any{"institution": inst, "general_tickets": res}, err
	})
}
