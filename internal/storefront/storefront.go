// Package storefront is usher's minimal reference storefront: one page
// per institution (pick a day, see the sessions, hold tickets, add
// extras and general entry, sign in as a member for member prices, check
// out, see the e-tickets, by e-mail when e-mail is configured) served at
// /storefront/{institution}/, with its assets embedded (no CDN). The page
// calls a same-origin backend that forwards a few website API routes to
// the site handler, adding the visitor's id and the member session from
// HttpOnly cookies, so neither an API key nor a session token reaches a
// browser's script.
package storefront

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/httpapi"
	"github.com/usher-hub/usher/internal/mail"
	"github.com/usher-hub/usher/internal/site"
)

//go:embed assets
var assets embed.FS

var page = template.Must(template.ParseFS(assets, "assets/index.html"))

// visitorCookie holds the visitor's id; the page never sees it.
const visitorCookie = "usher_visitor"

// memberCookie holds a signed-in member's session token; the page never
// sees it either.
const memberCookie = "usher_member"

// Options are the storefront's dependencies.
type Options struct {
	// API is the website API without authentication (site.Handler.API);
	// the storefront authenticates its own visitors.
	API http.Handler
	// Venues maps each institution code to the name visitors see.
	Venues  map[string]string
	MaxBody int64
	Now     func() time.Time
	Logger  *slog.Logger
	// Email says whether e-tickets are e-mailed (SMTP configured): the
	// page promises e-mail only then.
	Email bool
}

// Storefront serves the reference storefront.
type Storefront struct {
	opts Options
	mux  *http.ServeMux
}

// New returns the storefront for opts.Venues.
func New(opts Options) *Storefront {
	s := &Storefront{opts: opts, mux: http.NewServeMux()}
	static, _ := fs.Sub(assets, "assets")
	s.mux.HandleFunc("GET /storefront/{institution}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
	})
	s.mux.HandleFunc("GET /storefront/{institution}/{$}", s.index)
	s.mux.Handle("GET /storefront/{institution}/assets/{file}", s.venueOnly(assetServer(static)))
	s.mux.HandleFunc("GET /storefront/{institution}/barcode/{code}", s.barcode)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.JSON(w, http.StatusForbidden, httpapi.ErrorBody{Error: httpapi.ErrorDetail{Code: usher.EUNAUTHORIZED,
			Message: "cross-origin request refused: the storefront API serves its own page only"}})
	}))
	api := cop.Handler(http.HandlerFunc(s.forward))
	s.mux.Handle("/storefront/{institution}/api/{route...}", api)
	return s
}

// Mount adds the storefront's routes to the server's mux.
func (s *Storefront) Mount(mux *http.ServeMux) { mux.Handle("/storefront/", s.secured(s.mux)) }

// secured sets the headers every storefront answer carries: a strict
// content security policy (no inline script, nothing from elsewhere).
func (s *Storefront) secured(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func (s *Storefront) venueOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.opts.Venues[r.PathValue("institution")]; !ok {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// assetServer serves the page's script and style sheet, and nothing else
// (not the page template, no directory listing).
func assetServer(static fs.FS) http.Handler {
	files := http.FileServerFS(httpapi.FilesOnly(static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		if !strings.HasSuffix(name, ".js") && !strings.HasSuffix(name, ".css") {
			http.NotFound(w, r)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		files.ServeHTTP(w, r2)
	})
}

// index serves GET /storefront/{institution}/.
func (s *Storefront) index(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("institution")
	name, ok := s.opts.Venues[code]
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.visitor(w, r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	err := page.Execute(w, map[string]any{"Code": code, "Name": name, "Today": s.opts.Now().Format("2006-01-02"),
		"Base": "/storefront/" + code + "/", "Email": s.opts.Email})
	if err != nil {
		s.opts.Logger.ErrorContext(r.Context(), "storefront page", "err", err)
	}
}

// visitor returns the visitor's id, setting a new one when there is none.
func (s *Storefront) visitor(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(visitorCookie); err == nil && len(c.Value) == 32 {
		return c.Value
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: visitorCookie, Value: id, Path: "/storefront/" + r.PathValue("institution") + "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: 24 * 60 * 60})
	return id
}

// barcode serves GET /storefront/{institution}/barcode/{code}: a ticket's
// Code 128 barcode as SVG, for the confirmation page.
func (s *Storefront) barcode(w http.ResponseWriter, r *http.Request) {
	code := strings.TrimSuffix(r.PathValue("code"), ".svg")
	b, err := mail.Code128(code)
	if err != nil || len(code) > 64 {
		httpapi.Error(w, r, s.opts.Logger, usher.Errorf(usher.EINVALID, "not a barcode: %q", code))
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = io.WriteString(w, b.SVG(60))
}

// allowed lists the website API routes the storefront may call. Of the
// member routes only sign-in with Centaman credentials, reading and
// ending one's own session are here: linking identities and joining need
// a website that vouches for its users.
func allowed(method, route string) bool {
	switch {
	case method == http.MethodGet && (route == "events" || route == "general-tickets" || route == "members/me"),
		method == http.MethodPost && (route == "holds" || route == "checkouts" || route == "members/sessions"),
		method == http.MethodDelete && route == "members/me":
		return true
	case method == http.MethodGet && strings.HasPrefix(route, "events/") && strings.HasSuffix(route, "/offer"):
		return !strings.Contains(strings.TrimSuffix(strings.TrimPrefix(route, "events/"), "/offer"), "/")
	case strings.HasPrefix(route, "holds/") && !strings.Contains(route[len("holds/"):], "/"):
		return method == http.MethodGet || method == http.MethodDelete
	}
	return false
}

// forward serves /storefront/{institution}/api/{route...}: the visitor's
// id from the cookie replaces whatever the page sent, and the request goes
// to the website API as the storefront of that one institution.
func (s *Storefront) forward(w http.ResponseWriter, r *http.Request) {
	code, route := r.PathValue("institution"), r.PathValue("route")
	if _, ok := s.opts.Venues[code]; !ok || !allowed(r.Method, route) {
		httpapi.Error(w, r, s.opts.Logger, usher.Errorf(usher.ENOTFOUND, "the storefront offers no %s %s", r.Method, route))
		return
	}
	visitor := s.visitor(w, r)
	ctx := site.WithClientAddress(r.Context(), httpapi.ClientAddr(r)) // per-address hold limits
	r2 := r.Clone(httpapi.WithPrincipal(ctx, usher.Principal{Name: "storefront", Institutions: []string{code}}))
	r2.URL.Path = "/api/v1/site/" + code + "/" + route
	r2.URL.RawPath = ""
	q := r2.URL.Query()
	q.Set("visitor", visitor)
	r2.URL.RawQuery = q.Encode()
	r2.Header.Del(site.SessionHeader)
	if c, err := r.Cookie(memberCookie); err == nil && c.Value != "" {
		r2.Header.Set(site.SessionHeader, c.Value)
	}
	if r.Method == http.MethodPost {
		var body []byte
		var err error
		if route == "members/sessions" {
			body, err = credentialsOnly(w, r, s.opts.MaxBody)
		} else {
			body, err = withVisitor(w, r, s.opts.MaxBody, visitor)
		}
		if err != nil {
			httpapi.Error(w, r, s.opts.Logger, err)
			return
		}
		r2.Body, r2.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	}
	switch {
	case route == "members/sessions":
		s.signIn(w, r2, code)
	case route == "members/me":
		s.me(w, r2, code)
	default:
		s.opts.API.ServeHTTP(w, r2)
	}
}

// withVisitor reads a JSON object body and sets its "visitor" field.
func withVisitor(w http.ResponseWriter, r *http.Request, maxBody int64, visitor string) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, usher.Errorf(usher.ETOOLARGE, "body is over the limit of %d bytes", maxBody)
	}
	if err != nil {
		return nil, usher.Errorf(usher.EINVALID, "could not read body: %v", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return nil, usher.Errorf(usher.EINVALID, "body must be a JSON object")
	}
	fields["visitor"], _ = json.Marshal(visitor)
	return json.Marshal(fields)
}
