// Package documents serves the document browser's API: an institution's
// stored documents listed with filters, one document's versions, one
// version as received and a structural diff of two versions, each behind
// an API key scoped to its institutions.
package documents

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/docdiff"
	"github.com/usher-hub/usher/internal/httpapi"
)

// Timeout bounds the work of one request; the store bounds what it reads
// (a page, a scan, a document's versions).
const Timeout = 10 * time.Second

// Handler serves /api/v1/documents/....
type Handler struct {
	store        usher.DocumentBrowser
	institutions map[string]bool
	logger       *slog.Logger
	keys         ArrayKeys
}

// ArrayKeys returns the lists of an institution's stream whose elements
// a diff matches by key (the schema in force marks them); nil compares
// every list by position.
type ArrayKeys func(institution string, stream usher.Stream) docdiff.Keys

// WithArrayKeys makes diffs match the elements of the lists keys names.
func (h *Handler) WithArrayKeys(keys ArrayKeys) *Handler {
	h.keys = keys
	return h
}

// NewHandler returns the API over store for the configured institutions.
func NewHandler(store usher.DocumentBrowser, institutions []string, logger *slog.Logger) *Handler {
	known := make(map[string]bool, len(institutions))
	for _, code := range institutions {
		known[code] = true
	}
	return &Handler{store: store, institutions: known, logger: logger}
}

// Mount adds the routes to mux behind keys.
func (h *Handler) Mount(mux *http.ServeMux, keys *httpapi.APIKeys) {
	mux.Handle("GET /api/v1/documents/{institution}/{stream}", keys.Require(h.logger, h.serve(h.list)))
	mux.Handle("GET /api/v1/documents/{institution}/{stream}/{external_id}", keys.Require(h.logger, h.serve(h.versions)))
	mux.Handle("GET /api/v1/documents/{institution}/{stream}/{external_id}/versions/{version}", keys.Require(h.logger, h.serve(h.body)))
	mux.Handle("GET /api/v1/documents/{institution}/{stream}/{external_id}/diff", keys.Require(h.logger, h.serve(h.diff)))
}

// Summary is one version (or quarantined document) in a listing.
type Summary struct {
	Institution  string       `json:"institution"`
	Stream       usher.Stream `json:"stream"`
	ExternalID   string       `json:"external_id"`
	Version      int          `json:"version,omitempty"`
	QuarantineID int64        `json:"quarantine_id,omitempty"`
	Current      bool         `json:"current"`
	ReceivedAt   time.Time    `json:"received_at"`
	ContentHash  string       `json:"content_hash"`
	Size         int64        `json:"size"`
}

// Page is the listing's body.
type Page struct {
	Documents  []Summary `json:"documents"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// Versions is the body of one document's versions, newest first.
type Versions struct {
	Institution string       `json:"institution"`
	Stream      usher.Stream `json:"stream"`
	ExternalID  string       `json:"external_id"`
	Versions    []Summary    `json:"versions"`
}

// DiffBody is the body of a diff.
type DiffBody struct {
	From    int              `json:"from"`
	To      int              `json:"to"`
	Changes []docdiff.Change `json:"changes"`
}

// result is what a route answers: a JSON value, or raw JSON bytes.
type result struct {
	v   any
	raw []byte
}

func (h *Handler) serve(fn func(*http.Request, url.Values) (result, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), Timeout)
		defer cancel()
		r = r.WithContext(ctx)
		res, err := h.prepare(r, fn)
		if errors.Is(err, context.DeadlineExceeded) {
			err = &usher.Error{Code: usher.EUNAVAILABLE, Message: "the request took too long: narrow it (a shorter time range, an external id)", Err: err}
		}
		if err != nil {
			httpapi.Error(w, r, h.logger, err)
			return
		}
		w.Header().Set("Cache-Control", "private, no-store")
		if res.raw == nil {
			httpapi.JSON(w, http.StatusOK, res.v)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(res.raw)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(res.raw)
	})
}

// prepare checks what every route shares: no body, a configured
// institution the key may read, a well-formed query.
func (h *Handler) prepare(r *http.Request, fn func(*http.Request, url.Values) (result, error)) (result, error) {
	if r.ContentLength != 0 {
		return result{}, usher.Errorf(usher.ETOOLARGE, "document requests take no body")
	}
	code := r.PathValue("institution")
	if err := httpapi.Authorize(r, code); err != nil {
		return result{}, err
	}
	if !h.institutions[code] {
		return result{}, usher.Errorf(usher.ENOTFOUND, "unknown institution %q", code)
	}
	v, err := httpapi.Query(r)
	if err != nil {
		return result{}, err
	}
	for name, values := range v {
		if len(values) != 1 {
			return result{}, usher.Errorf(usher.EINVALID, "query parameter %q is given %d times; give it once", name, len(values))
		}
	}
	return fn(r, v)
}

func (h *Handler) list(r *http.Request, v url.Values) (result, error) {
	f, err := ParseFilter(v)
	if err != nil {
		return result{}, err
	}
	f.Institution, f.Stream = r.PathValue("institution"), usher.Stream(r.PathValue("stream"))
	page, err := h.store.ListDocuments(r.Context(), f)
	if err != nil {
		return result{}, err
	}
	out := Page{Documents: make([]Summary, len(page.Documents)), NextCursor: page.NextCursor}
	for i, d := range page.Documents {
		out.Documents[i] = NewSummary(d)
	}
	return result{v: out}, nil
}

// listParams are the listing's query parameters.
const listParams = "external_id, from, to, path, equals, valid, limit or cursor"

// ParseFilter reads the listing's query. Unknown parameters are an error,
// so a misspelt filter never silently lists everything.
func ParseFilter(v url.Values) (usher.BrowseFilter, error) {
	var f usher.BrowseFilter
	var err error
	for name, values := range v {
		s := values[0]
		switch name {
		case "external_id":
			f.ExternalID = s
		case "from":
			f.From, err = ParseTime(name, s)
		case "to":
			f.To, err = ParseTime(name, s)
		case "path":
			f.Path = s
		case "equals":
			f.Equals = s
		case "valid":
			f.Valid, err = usher.ParseValidity(s)
		case "limit":
			f.Limit, err = strconv.Atoi(s)
			if err != nil || f.Limit < 1 {
				err = usher.Errorf(usher.EINVALID, "limit must be a whole number from 1, got %q (pages above the maximum are cut to it)", s)
			}
		case "cursor":
			f.Cursor = s
		default:
			err = usher.Errorf(usher.EINVALID, "unknown query parameter %q: use %s", name, listParams)
		}
		if err != nil {
			return f, err
		}
	}
	return f, nil
}

// ParseTime reads a received-time bound: an RFC 3339 time or a day
// (2006-01-02, midnight UTC).
func ParseTime(name, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, usher.Errorf(usher.EINVALID, "%s must be an RFC 3339 time (2026-03-01T18:00:00Z) or a day (2026-03-01), got %q", name, s)
}

func (h *Handler) versions(r *http.Request, v url.Values) (result, error) {
	if len(v) > 0 {
		return result{}, usher.Errorf(usher.EINVALID, "a document's versions take no query parameters")
	}
	inst, stream, id := r.PathValue("institution"), usher.Stream(r.PathValue("stream")), r.PathValue("external_id")
	vs, err := h.store.DocumentVersions(r.Context(), inst, stream, id)
	if err != nil {
		return result{}, err
	}
	out := Versions{Institution: inst, Stream: stream, ExternalID: id, Versions: make([]Summary, len(vs))}
	for i, d := range vs {
		out.Versions[i] = NewSummary(d)
	}
	return result{v: out}, nil
}

func (h *Handler) body(r *http.Request, v url.Values) (result, error) {
	if len(v) > 0 {
		return result{}, usher.Errorf(usher.EINVALID, "a version takes no query parameters")
	}
	version, err := ParseVersion("version", r.PathValue("version"))
	if err != nil {
		return result{}, err
	}
	raw, err := h.store.DocumentBody(r.Context(), r.PathValue("institution"), usher.Stream(r.PathValue("stream")), r.PathValue("external_id"), version)
	return result{raw: raw}, err
}

func (h *Handler) diff(r *http.Request, v url.Values) (result, error) {
	for name := range v {
		if name != "from" && name != "to" {
			return result{}, usher.Errorf(usher.EINVALID, "unknown query parameter %q: a diff takes from and to (two versions)", name)
		}
	}
	from, err := ParseVersion("from", v.Get("from"))
	if err != nil {
		return result{}, err
	}
	to, err := ParseVersion("to", v.Get("to"))
	if err != nil {
		return result{}, err
	}
	inst, stream := r.PathValue("institution"), usher.Stream(r.PathValue("stream"))
	changes, err := Diff(r.Context(), h.store, h.keys.For(inst, stream), inst, stream, r.PathValue("external_id"), from, to)
	if err != nil {
		return result{}, err
	}
	return result{v: DiffBody{From: from, To: to, Changes: changes}}, nil
}

// For is k's keys for an institution's stream, none when k is nil.
func (k ArrayKeys) For(inst string, stream usher.Stream) docdiff.Keys {
	if k == nil {
		return nil
	}
	return k(inst, stream)
}

// Diff returns the changes from version from to version to of one
// document, the lists keys names matched by key; never nil.
func Diff(ctx context.Context, b usher.DocumentBrowser, keys docdiff.Keys, inst string, stream usher.Stream, id string, from, to int) ([]docdiff.Change, error) {
	a, err := b.DocumentBody(ctx, inst, stream, id, from)
	if err != nil {
		return nil, err
	}
	c, err := b.DocumentBody(ctx, inst, stream, id, to)
	if err != nil {
		return nil, err
	}
	changes, err := docdiff.DiffKeyed(a, c, keys)
	if err != nil {
		// Stored versions are JSON: this is a bug, not a bad request.
		return nil, &usher.Error{Code: usher.EINTERNAL, Message: "a stored version is not JSON", Err: err}
	}
	if changes == nil {
		changes = []docdiff.Change{}
	}
	return changes, nil
}

// ParseVersion reads a version number: a whole number from 1.
func ParseVersion(name, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, usher.Errorf(usher.EINVALID, "%s must be a version, a whole number from 1, got %q", name, s)
	}
	return n, nil
}

// NewSummary is the API form of a listed version.
func NewSummary(d usher.DocumentSummary) Summary {
	return Summary{Institution: d.Institution, Stream: d.Stream, ExternalID: d.ExternalID, Version: d.Version,
		QuarantineID: d.QuarantineID, Current: d.Current, ReceivedAt: d.ReceivedAt, ContentHash: d.Hash, Size: d.Size}
}

var _ json.Marshaler = docdiff.Change{}
