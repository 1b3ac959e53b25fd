package site

import (
	"net/http"

	"github.com/usher-hub/usher"
)

// sessionRequest is the body of POST …/members/sessions: a linked
// website identity, or Centaman credentials.
type sessionRequest struct {
	Identity string `json:"identity,omitempty"`
	CredentialsRequest
}

// join serves POST /api/v1/site/{institution}/members: a visitor becomes
// a member (201).
func (h *Handler) join(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func(inst string) (int, any, error) {
		var req JoinRequest
		if err := h.decode(w, r, &req); err != nil {
			return 0, nil, err
		}
		m, err := h.svc.Join(r.Context(), inst, req)
		return http.StatusCreated, m, err
	})
}

// link serves POST /api/v1/site/{institution}/members/links.
func (h *Handler) link(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func(inst string) (int, any, error) {
		var req LinkRequest
		if err := h.decode(w, r, &req); err != nil {
			return 0, nil, err
		}
		m, err := h.svc.LinkMember(r.Context(), inst, req)
		return http.StatusOK, m, err
	})
}

// startSession serves POST /api/v1/site/{institution}/members/sessions
// (201 with the token, shown once).
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func(inst string) (int, any, error) {
		var req sessionRequest
		if err := h.decode(w, r, &req); err != nil {
			return 0, nil, err
		}
		if req.Identity != "" && req.CredentialsRequest != (CredentialsRequest{}) {
			return 0, nil, usher.Errorf(usher.EINVALID, "send identity (a linked website identity) or member credentials, not both")
		}
		if req.Identity == "" {
			s, err := h.svc.SignIn(r.Context(), inst, req.CredentialsRequest)
			return http.StatusCreated, s, err
		}
		s, err := h.svc.StartSession(r.Context(), inst, req.Identity)
		return http.StatusCreated, s, err
	})
}

// me serves GET /api/v1/site/{institution}/members/me: the signed-in
// member's status, read fresh.
func (h *Handler) me(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func(inst string) (int, any, error) {
		m, err := h.svc.Me(r.Context(), inst, r.Header.Get(SessionHeader))
		return http.StatusOK, m, err
	})
}

// endSession serves DELETE /api/v1/site/{institution}/members/me.
func (h *Handler) endSession(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func(inst string) (int, any, error) {
		err := h.svc.EndSession(r.Context(), inst, r.Header.Get(SessionHeader))
		return http.StatusOK, map[string]string{"status": "signed out"}, err
	})
}

// changeMembership serves POST /api/v1/site/{institution}/members/me/memberships.
func (h *Handler) changeMembership(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func(inst string) (int, any, error) {
		var req MembershipRequest
		if err := h.decode(w, r, &req); err != nil {
			return 0, nil, err
		}
		m, err := h.svc.ChangeMembership(r.Context(), inst, r.Header.Get(SessionHeader), req)
		return http.StatusOK, m, err
	})
}
