// Package web is usher's dashboard: server-rendered pages for the venue
// reports and the ingest health, behind a login with an API key. Charts
// are SVG drawn on the server; templates and the stylesheet are embedded,
// so the dashboard needs no script, no CDN and no internet.
//
// Browser safety: a session is an HMAC-signed cookie (HttpOnly,
// SameSite=Strict) that holds the key's name and scope, never the key;
// state-changing requests pass http.CrossOriginProtection; every page is
// served with a Content-Security-Policy of default-src 'self'.
package web

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
	"github.com/usher-hub/usher/internal/httpx"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Deps are what the dashboard needs.
type Deps struct {
	Service *analytics.Service
	Keys    *httpx.APIKeys
	// Institutions are the configured institution codes.
	Institutions []string
	// Gatherer, if set, supplies the ingest error counts of the health page.
	Gatherer prometheus.Gatherer
	// Quarantine, if set, lists quarantined documents on the health page.
	Quarantine QuarantineLister
	// SessionSecret signs session cookies; empty means a random one.
	SessionSecret string
	SessionTTL    time.Duration
	// SecureCookies marks the session cookie Secure (HTTPS deployments).
	SecureCookies bool
	Now           func() time.Time
	Logger        *slog.Logger
}

// Server serves the dashboard.
type Server struct {
	deps     Deps
	sessions *sessions
	pages    map[string]*template.Template
	// logins limits login attempts across all clients: API keys are long
	// random strings, and the limit makes guessing them hopeless without
	// keeping per-client state an attacker could grow.
	logins *rate.Limiter
}

// maxFormBytes bounds the login and logout forms: a key and little else.
const maxFormBytes = 4 << 10

// New returns the dashboard server.
func New(d Deps) (*Server, error) {
	if d.SessionTTL <= 0 {
		d.SessionTTL = 12 * time.Hour
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	sess, err := newSessions(d.SessionSecret, d.SessionTTL, d.SecureCookies, d.Now)
	if err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	return &Server{deps: d, sessions: sess, pages: pages, logins: rate.NewLimiter(rate.Every(200*time.Millisecond), 10)}, nil
}

// Mount adds the dashboard's routes to mux.
func (s *Server) Mount(mux *http.ServeMux) {
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /dashboard/static/", s.protect(http.StripPrefix("/dashboard/static/", http.FileServerFS(static))))
	mux.Handle("GET /{$}", s.protect(http.RedirectHandler("/dashboard/", http.StatusSeeOther)))
	mux.Handle("GET /login", s.protect(http.HandlerFunc(s.serveLogin)))
	mux.Handle("POST /login", s.protect(http.HandlerFunc(s.login)))
	mux.Handle("POST /logout", s.protect(http.HandlerFunc(s.logout)))
	mux.Handle("GET /dashboard/{$}", s.protect(s.signedIn(s.home)))
	mux.Handle("GET /dashboard/health", s.protect(s.signedIn(s.health)))
	mux.Handle("GET /dashboard/{report}", s.protect(s.signedIn(s.report)))
	mux.Handle("GET /dashboard/export/{report}", s.protect(s.signedIn(s.exportCSV)))
}

// protect adds the browser safety every dashboard response gets.
func (s *Server) protect(h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	h = cop.Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		} else if r.ContentLength != 0 {
			http.Error(w, "dashboard pages take no request body", http.StatusRequestEntityTooLarge)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// pageHandler serves a page for a signed-in principal.
type pageHandler func(w http.ResponseWriter, r *http.Request, p usher.Principal)

// signedIn runs h with the session's principal, or sends the browser to
// the login page.
func (s *Server) signedIn(h pageHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.sessions.principal(r)
		if err != nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		w.Header().Set("Cache-Control", "private, no-store")
		h(w, r, p)
	})
}

// allowed returns the configured institutions p may see, in order.
func (s *Server) allowed(p usher.Principal) []string {
	var out []string
	for _, code := range s.deps.Institutions {
		if p.Allows(code) {
			out = append(out, code)
		}
	}
	return out
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, _ usher.Principal) {
	target := "/dashboard/" + string(analytics.ReportSales)
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}
