// Package web is usher's venue dashboard: server-rendered HTML pages at /
// and /dashboard/..., behind a login with an API key, showing the
// analytics reports as SVG charts drawn in Go, the ingest health and the
// quarantine. Pages carry no script at all; the CSP allows only the
// embedded stylesheet, and every POST is checked for cross-origin use.
package web

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
	"github.com/usher-hub/usher/internal/documents"
	"github.com/usher-hub/usher/internal/httpapi"
)

//go:embed templates/*.html static
var files embed.FS

// Options are the dashboard's dependencies.
type Options struct {
	Analytics *analytics.Service
	// Keys checks the API key typed at login.
	Keys *httpapi.APIKeys
	// Institutions are the configured institution codes; a key sees those
	// its scope allows.
	Institutions []string
	// Quarantine lists quarantined documents; nil where the store has no
	// quarantine, and the health page says so.
	Quarantine Quarantine
	// Secret signs session cookies (NewSecret makes one); TTL is how long
	// a login lasts.
	Secret []byte
	TTL    time.Duration
	Now    func() time.Time
	Logger *slog.Logger
	// Locale (analytics.locale) and Zone (the venue's) format numbers,
	// money and times; "" is "en", nil is UTC.
	Locale string
	Zone   *time.Location
	// SignInHint, when set, is shown on the login page: how to get a key
	// on a server that has none yet.
	SignInHint string
	// Mailbox, when set (usher demo), lists the e-mails sent, at
	// /dashboard/mail.
	Mailbox Mailbox
	// Load, when set, serves the Load page (/dashboard/load): the planner
	// of bulk loads and the live outbox backlog.
	Load LoadSource
	// Documents, when set, serves the Documents page (/dashboard/documents):
	// stored versions, a document's timeline and diffs.
	Documents usher.DocumentBrowser
	// ArrayKeys names the lists a diff matches by key (the schemas'
	// keys); nil compares lists by position.
	ArrayKeys documents.ArrayKeys
}

// MinTTL is the shortest login the dashboard accepts: a shorter one
// would end before the browser follows the redirect after signing in.
const MinTTL = time.Minute

// Handler serves the dashboard.
type Handler struct {
	svc          *analytics.Service
	keys         *httpapi.APIKeys
	institutions []string
	quarantine   Quarantine
	sessions     *sessions
	logger       *slog.Logger
	pages        map[string]*template.Template
	signInHint   string
	loc          Locale
	arrayKeys    documents.ArrayKeys
	mailbox      Mailbox
	loadSource   LoadSource
	documents    usher.DocumentBrowser
	mux          *http.ServeMux
	// protected is mux behind the cross-origin check of every POST.
	protected http.Handler
}

// New returns the dashboard handler over o.
func New(o Options) (*Handler, error) {
	if o.TTL < MinTTL {
		return nil, fmt.Errorf("dashboard: a login must last at least %s (dashboard.session_ttl), got %s", MinTTL, o.TTL)
	}
	loc, err := NewLocale(o.Locale, o.Zone)
	if err != nil {
		return nil, err
	}
	pages, err := parsePages(loc, o.Documents != nil)
	if err != nil {
		return nil, err
	}
	h := &Handler{svc: o.Analytics, keys: o.Keys, institutions: slices.Clone(o.Institutions), quarantine: o.Quarantine,
		sessions: &sessions{secret: o.Secret, ttl: o.TTL, now: o.Now}, logger: o.Logger, pages: pages, mux: http.NewServeMux(),
		signInHint: o.SignInHint, mailbox: o.Mailbox, loadSource: o.Load, documents: o.Documents, arrayKeys: o.ArrayKeys, loc: loc}
	static, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	h.mux.Handle("GET /dashboard/static/", http.StripPrefix("/dashboard/static/", http.FileServerFS(httpapi.FilesOnly(static))))
	h.mux.HandleFunc("GET /dashboard/login", h.loginPage)
	h.mux.HandleFunc("POST /dashboard/login", h.login)
	h.mux.HandleFunc("POST /dashboard/logout", h.logout)
	h.mux.Handle("GET /dashboard/{$}", h.requireLogin(h.overview))
	h.mux.Handle("GET /dashboard/health", h.requireLogin(h.health))
	h.mux.Handle("GET /dashboard/export/{institution}/{report}", h.requireLogin(h.export))
	if h.loadSource != nil {
		h.mux.Handle("GET /dashboard/load", h.requireLogin(h.load))
	}
	if h.documents != nil {
		h.mux.Handle("GET /dashboard/documents", h.requireLogin(h.documentsList))
		h.mux.Handle("GET /dashboard/documents/{institution}/{stream}/{external_id}", h.requireLogin(h.document))
		h.mux.Handle("GET /dashboard/documents/{institution}/{stream}/{external_id}/versions/{version}", h.requireLogin(h.documentRaw))
	}
	if h.mailbox != nil {
		h.mux.Handle("GET /dashboard/mail", h.requireLogin(h.mail))
		h.mux.Handle("GET /dashboard/mail/{message}/barcode/{ticket}", h.requireLogin(h.barcode))
	}
	h.protected = http.NewCrossOriginProtection().Handler(h.mux)
	return h, nil
}

// Mount adds the dashboard to mux: / sends the browser to /dashboard/.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.Handle("GET /{$}", http.RedirectHandler("/dashboard/", http.StatusSeeOther))
	mux.Handle("/dashboard/", h)
}

// ServeHTTP serves every dashboard route behind the security headers and
// the cross-origin check.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w.Header())
	h.protected.ServeHTTP(w, r)
}

// contentSecurityPolicy allows the dashboard's own stylesheet and nothing
// else: no script, no inline style, no frame, no form posted elsewhere.
const contentSecurityPolicy = "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

func secureHeaders(hdr http.Header) {
	hdr.Set("Content-Security-Policy", contentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Referrer-Policy", "same-origin")
}

// parsePages parses every page with the template functions that write
// figures the venue's way (loc).
func parsePages(loc Locale, documents bool) (map[string]*template.Template, error) {
	funcs := template.FuncMap{"percent": percent,
		"inc": func(i int) int { return i + 1 }, "sub": func(a, b int) int { return a - b },
		"money": loc.Money, "count": loc.countAny,
		"datetime": loc.DateTime, "day": loc.Day, "hour": loc.Hour,
		"mul100": func(f float64) float64 { return 100 * f }}
	funcs["documents"] = func() bool { return documents } // the Documents page is served
	pages := map[string]*template.Template{}
	for _, name := range []string{"login", "overview", "health", "error", "mail", "load", "documents", "document"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

// percent writes a share as a percentage with one decimal.
func percent(r analytics.Ratio) string {
	return number(float64(int64(float64(r)*1000+0.5))/10) + " %"
}
