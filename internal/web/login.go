package web

import (
	"errors"
	"net/http"
	"strings"
)

// loginPage is what the login template shows.
type loginPage struct {
	Title string
	Error string
}

// serveLogin answers GET /login.
func (s *Server) serveLogin(w http.ResponseWriter, r *http.Request) {
	if _, err := s.sessions.principal(r); err == nil {
		http.Redirect(w, r, "/dashboard/", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", loginPage{Title: "Sign in"})
}

// login answers POST /login: a valid API key gets a session cookie. The
// key is compared in constant time by httpx.APIKeys and never logged.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !s.logins.Allow() {
		s.render(w, r, http.StatusTooManyRequests, "login", loginPage{Title: "Sign in", Error: "Too many sign-in attempts: wait a few seconds and try again."})
		return
	}
	if err := r.ParseForm(); err != nil {
		status, msg := http.StatusBadRequest, "The form could not be read."
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			status, msg = http.StatusRequestEntityTooLarge, "The form is too large."
		}
		s.render(w, r, status, "login", loginPage{Title: "Sign in", Error: msg})
		return
	}
	p, ok := s.deps.Keys.Lookup(strings.TrimSpace(r.PostForm.Get("key")))
	if !ok {
		s.deps.Logger.InfoContext(r.Context(), "dashboard login refused", "remote", r.RemoteAddr)
		s.render(w, r, http.StatusUnauthorized, "login", loginPage{Title: "Sign in", Error: "That key is not valid."})
		return
	}
	s.deps.Logger.InfoContext(r.Context(), "dashboard login", "key", p.Name, "remote", r.RemoteAddr)
	s.sessions.issue(w, p)
	http.Redirect(w, r, "/dashboard/", http.StatusSeeOther)
}

// logout answers POST /logout.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.sessions.clear(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
