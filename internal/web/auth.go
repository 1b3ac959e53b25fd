package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/httpapi"
)

// maxLoginBytes bounds the login form: one API key and a little framing.
const maxLoginBytes = 4 << 10

type principalKey struct{}

func principalFrom(ctx context.Context) usher.Principal {
	p, _ := ctx.Value(principalKey{}).(usher.Principal)
	return p
}

// requireLogin runs page for a request with a valid session, and sends
// any other browser to the login page.
func (h *Handler) requireLogin(page func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, ok := h.sessions.read(r)
		if !ok {
			target := "/dashboard/login"
			if _, err := r.Cookie(sessionCookie); err == nil {
				// A cookie that no longer signs in: say so, rather than
				// show the login page as if nothing had happened.
				target += "?ended=1"
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		w.Header().Set("Cache-Control", "private, no-store")
		page(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, sess.principal())))
	})
}

type loginData struct {
	pageData
	Problem string
	Hint    string
}

// sessionEnded is shown when a browser comes back with a session cookie
// that no longer signs in: expired, or signed before usher restarted
// without a configured session secret.
const sessionEnded = "Your session has ended (it expired, or usher restarted): sign in again."

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.sessions.read(r); ok {
		http.Redirect(w, r, "/dashboard/", http.StatusSeeOther)
		return
	}
	data := loginData{pageData: pageData{Title: "Sign in"}, Hint: h.signInHint}
	if r.URL.Query().Has("ended") {
		data.Problem = sessionEnded
	}
	h.render(w, r, http.StatusOK, "login", data)
}

// login checks the API key of the form (in constant time, through
// APIKeys.Lookup) and sets the session cookie. The key itself is neither
// stored nor logged.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginBytes)
	if err := r.ParseForm(); err != nil {
		status, problem := http.StatusBadRequest, "The form could not be read."
		if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
			status, problem = http.StatusRequestEntityTooLarge, "The form is too large."
		}
		h.render(w, r, status, "login", loginData{pageData: pageData{Title: "Sign in"}, Problem: problem, Hint: h.signInHint})
		return
	}
	p, err := h.keys.Authenticate(r, r.PostForm.Get("key"))
	if err != nil {
		h.refuseLogin(w, r, err)
		return
	}
	h.logger.InfoContext(r.Context(), "dashboard login", "key", p.Name, "remote", r.RemoteAddr)
	http.SetCookie(w, h.sessions.issue(p, r.TLS != nil))
	http.Redirect(w, r, "/dashboard/", http.StatusSeeOther)
}

// logout clears the session cookie. It is a POST, so another site cannot
// log a user out with a link or an image.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, h.sessions.clear(r.TLS != nil))
	http.Redirect(w, r, "/dashboard/login", http.StatusSeeOther)
}

// render writes the page name with data. The page is rendered in full
// before anything is sent, so a template bug (logged) gives a clean 500
// rather than half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := h.pages[name].Execute(&buf, data); err != nil {
		h.logger.ErrorContext(r.Context(), "dashboard template", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "private, no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

type errorData struct {
	pageData
	Status  int
	Message string
}

// renderError shows err as a page, with the status the API would give it.
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, pd pageData, err error) {
	status := httpapi.StatusOf(err)
	if status >= 500 {
		h.logger.ErrorContext(r.Context(), "dashboard page failed", "path", r.URL.Path, "err", err)
	}
	pd.Title = http.StatusText(status)
	h.render(w, r, status, "error", errorData{pageData: pd, Status: status, Message: usher.ErrorMessage(err)})
}
