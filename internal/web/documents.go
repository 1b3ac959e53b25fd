package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/docdiff"
	"github.com/usher-hub/usher/internal/documents"
)

// The Documents page (/dashboard/documents): every stored version of an
// institution's contacts and orders, filtered as the API filters them; a
// document's versions as a timeline; a version pretty-printed with a
// download of what was received; and two versions side by side with the
// changed paths highlighted.

// documentParams are the listing's parameters.
var documentParams = []string{"institution", "stream", "external_id", "from", "to", "path", "equals", "valid", "cursor"}

// documentStreams are the streams the page offers; others (the site's
// copies) are reached by URL.
var documentStreams = []string{string(usher.StreamOrders), string(usher.StreamContacts)}

// maxPrettyLines bounds a version shown as text: a larger one is offered
// as a download only.
const maxPrettyLines = 20000

type documentsData struct {
	pageData
	Streams              []string
	Stream               string
	ExternalID, From, To string
	Path, Equals, Valid  string
	Page                 documents.Page
	NextURL              string
	Filtered             bool
}

// documentsList serves the listing with its filter form.
func (h *Handler) documentsList(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	d := documentsData{pageData: h.documentsPage(p, "Documents"), Streams: documentStreams}
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		h.renderError(w, r, d.pageData, usher.Errorf(usher.EINVALID, "malformed query string: %v", err))
		return
	}
	f, err := h.documentsFilter(&d, v)
	if err != nil {
		h.renderError(w, r, d.pageData, err)
		return
	}
	page, err := h.documents.ListDocuments(r.Context(), f)
	if err != nil {
		h.renderError(w, r, d.pageData, err)
		return
	}
	d.Page.Documents = make([]documents.Summary, len(page.Documents))
	for i, doc := range page.Documents {
		d.Page.Documents[i] = documents.NewSummary(doc)
	}
	if page.NextCursor != "" {
		next := url.Values{}
		for _, k := range documentParams {
			if s := v.Get(k); s != "" && k != "cursor" {
				next.Set(k, s)
			}
		}
		next.Set("cursor", page.NextCursor)
		d.NextURL = "/dashboard/documents?" + next.Encode()
	}
	h.render(w, r, http.StatusOK, "documents", d)
}

// documentsFilter reads the form into the store's filter; empty fields
// are no filter.
func (h *Handler) documentsFilter(d *documentsData, v url.Values) (usher.BrowseFilter, error) {
	var f usher.BrowseFilter
	for k, values := range v {
		if !slices.Contains(documentParams, k) {
			return f, usher.Errorf(usher.EINVALID, "unknown parameter %q: this page takes %s", k, strings.Join(documentParams, ", "))
		}
		if len(values) > 1 {
			return f, usher.Errorf(usher.EINVALID, "parameter %q is given %d times: give it once", k, len(values))
		}
	}
	var err error
	if d.Institution, err = h.pick(d.Institutions, v); err != nil {
		return f, err
	}
	d.Stream, d.ExternalID, d.From, d.To = v.Get("stream"), v.Get("external_id"), v.Get("from"), v.Get("to")
	d.Path, d.Equals, d.Valid = v.Get("path"), v.Get("equals"), v.Get("valid")
	if d.Stream == "" {
		d.Stream = string(usher.StreamOrders)
	}
	if !slices.Contains(d.Streams, d.Stream) { // a site copy's stream, reached by URL
		d.Streams = append(slices.Clone(d.Streams), d.Stream)
	}
	f = usher.BrowseFilter{Institution: d.Institution, Stream: usher.Stream(d.Stream), ExternalID: d.ExternalID,
		Path: d.Path, Equals: d.Equals, Cursor: v.Get("cursor"), Limit: 50}
	if d.From != "" {
		if f.From, err = documents.ParseTime("from", d.From); err != nil {
			return f, err
		}
	}
	if d.To != "" {
		if f.To, err = documents.ParseTime("to", d.To); err != nil {
			return f, err
		}
	}
	if f.Valid, err = usher.ParseValidity(d.Valid); err != nil {
		return f, err
	}
	d.Valid = string(f.Valid)
	d.Filtered = d.ExternalID != "" || d.From != "" || d.To != "" || d.Path != ""
	return f, nil
}

func (h *Handler) documentsPage(p usher.Principal, title string) pageData {
	return pageData{Title: title, Nav: "documents", User: p.Name, Institutions: h.visible(p), Mail: h.showsMail(p), Load: h.loadSource != nil}
}

// documentData is one document's page.
type documentData struct {
	pageData
	Stream, ExternalID string
	Versions           []documents.Summary
	// Shown is the version pretty-printed (0 when a diff is shown), Lines
	// its text; TooLarge when it has more lines than are shown.
	Shown    int
	Lines    []jsonLine
	TooLarge bool
	// From and To are the versions compared, Changes the diff, Left and
	// Right their texts with changed lines marked.
	From, To     int
	Changes      []changeView
	Left, Right  []jsonLine
	DownloadBase string
}

type changeView struct {
	Path, Op, From, To string
}

// document serves one document: its versions, then one version or the
// diff of two (?from=A&to=B).
func (h *Handler) document(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	d := documentData{pageData: h.documentsPage(p, "Document"), Stream: r.PathValue("stream"), ExternalID: r.PathValue("external_id")}
	if err := h.documentView(r, &d); err != nil {
		h.renderError(w, r, d.pageData, err)
		return
	}
	h.render(w, r, http.StatusOK, "document", d)
}

func (h *Handler) documentView(r *http.Request, d *documentData) error {
	d.Institution = r.PathValue("institution")
	if !slices.Contains(d.Institutions, d.Institution) {
		return usher.Errorf(usher.ENOTFOUND, "unknown institution %q", d.Institution)
	}
	d.Title = "Document " + d.ExternalID
	d.DownloadBase = "/dashboard/documents/" + url.PathEscape(d.Institution) + "/" + url.PathEscape(d.Stream) + "/" + url.PathEscape(d.ExternalID) + "/versions/"
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return usher.Errorf(usher.EINVALID, "malformed query string: %v", err)
	}
	for k, values := range v {
		if k != "version" && k != "from" && k != "to" {
			return usher.Errorf(usher.EINVALID, "unknown parameter %q: this page takes version, or from and to", k)
		}
		if len(values) > 1 {
			return usher.Errorf(usher.EINVALID, "parameter %q is given %d times: give it once", k, len(values))
		}
	}
	ctx, stream := r.Context(), usher.Stream(d.Stream)
	vs, err := h.documents.DocumentVersions(ctx, d.Institution, stream, d.ExternalID)
	if err != nil {
		return err
	}
	for _, s := range vs {
		d.Versions = append(d.Versions, documents.NewSummary(s))
	}
	if v.Has("from") || v.Has("to") {
		if d.From, err = documents.ParseVersion("from", v.Get("from")); err != nil {
			return err
		}
		if d.To, err = documents.ParseVersion("to", v.Get("to")); err != nil {
			return err
		}
		return h.diffView(r, d)
	}
	d.Shown = vs[0].Version
	if v.Has("version") {
		if d.Shown, err = documents.ParseVersion("version", v.Get("version")); err != nil {
			return err
		}
	}
	raw, err := h.documents.DocumentBody(ctx, d.Institution, stream, d.ExternalID, d.Shown)
	if err != nil {
		return err
	}
	d.Lines, err = prettyJSON(raw, maxPrettyLines)
	if errors.Is(err, errTooManyLines) {
		d.Lines, d.TooLarge = nil, true
		return nil
	}
	return err
}

// diffView compares versions d.From and d.To.
func (h *Handler) diffView(r *http.Request, d *documentData) error {
	ctx, stream := r.Context(), usher.Stream(d.Stream)
	a, err := h.documents.DocumentBody(ctx, d.Institution, stream, d.ExternalID, d.From)
	if err != nil {
		return err
	}
	b, err := h.documents.DocumentBody(ctx, d.Institution, stream, d.ExternalID, d.To)
	if err != nil {
		return err
	}
	changes, err := docdiff.DiffKeyed(a, b, h.arrayKeys.For(d.Institution, stream))
	if err != nil {
		return &usher.Error{Code: usher.EINTERNAL, Message: "a stored version is not JSON", Err: err}
	}
	left, right := map[string]string{}, map[string]string{}
	for _, c := range changes {
		cv := changeView{Path: c.Path, Op: string(c.Op)}
		// Lines are named by position; a keyed element may sit at
		// another position in each version.
		if c.Op != docdiff.Add {
			cv.From, left[c.InA] = compact(c.From), string(c.Op)
		}
		if c.Op != docdiff.Remove {
			cv.To, right[c.InB] = compact(c.To), string(c.Op)
		}
		d.Changes = append(d.Changes, cv)
	}
	if d.Left, err = prettyJSON(a, maxPrettyLines); err == nil {
		d.Right, err = prettyJSON(b, maxPrettyLines)
	}
	if errors.Is(err, errTooManyLines) {
		d.Left, d.Right, d.TooLarge = nil, nil, true
		return nil
	}
	mark(d.Left, left)
	mark(d.Right, right)
	return err
}

// mark sets the op of every line at or under a changed path.
func mark(lines []jsonLine, changed map[string]string) {
	if len(changed) == 0 {
		return
	}
	for i, l := range lines {
		for p := l.Path; ; {
			if op, ok := changed[p]; ok {
				lines[i].Op = op
				break
			}
			parent, ok := parentPath(p)
			if !ok {
				break
			}
			p = parent
		}
	}
}

// parentPath cuts a path's last step: $.a.b[2] is $.a.b, $.a["x y"] is $.a.
func parentPath(p string) (string, bool) {
	if p == "$" || p == "" {
		return "", false
	}
	if strings.HasSuffix(p, "]") {
		// [index] or ["key"]: find the '[' that opens it, outside quotes.
		if i := strings.LastIndex(p, "[\""); i > 0 && strings.HasSuffix(p, "\"]") {
			var key string
			if json.Unmarshal([]byte(p[i+1:len(p)-1]), &key) == nil && docdiff.Key(key) == p[i:] {
				return p[:i], true
			}
		}
		if i := strings.LastIndexByte(p, '['); i > 0 {
			return p[:i], true
		}
	}
	if i := strings.LastIndexByte(p, '.'); i > 0 {
		return p[:i], true
	}
	return "", false
}

func compact(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	s := strings.TrimSpace(b.String())
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// documentRaw serves one version as a download, as stored.
func (h *Handler) documentRaw(w http.ResponseWriter, r *http.Request) {
	inst, stream, id := r.PathValue("institution"), r.PathValue("stream"), r.PathValue("external_id")
	err := func() error {
		if !slices.Contains(h.visible(principalFrom(r.Context())), inst) {
			return usher.Errorf(usher.ENOTFOUND, "unknown institution %q", inst)
		}
		if r.URL.RawQuery != "" {
			return usher.Errorf(usher.EINVALID, "a download takes no parameters")
		}
		version, err := documents.ParseVersion("version", r.PathValue("version"))
		if err != nil {
			return err
		}
		raw, err := h.documents.DocumentBody(r.Context(), inst, usher.Stream(stream), id, version)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("%s-%s-%s-v%d.json", inst, stream, id, version)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", `attachment; filename="`+safeFilename(name)+`"`)
		w.Header().Set("Cache-Control", "private, no-store")
		_, _ = io.Copy(w, bytes.NewReader(raw))
		return nil
	}()
	if err != nil {
		h.renderError(w, r, h.documentsPage(principalFrom(r.Context()), "Document"), err)
	}
}

// safeFilename keeps letters, digits, '.', '_' and '-' of a file name.
func safeFilename(s string) string {
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			return c
		}
		return '_'
	}, s)
}

// jsonLine is one line of a pretty-printed document: its text, indent
// included, the path of the value it shows, and the op of a diff that
// changed it ("" when none did).
type jsonLine struct {
	Text, Path, Op string
}

var errTooManyLines = errors.New("too many lines")

// prettyJSON writes raw indented two spaces a level, keys in the order
// received, one value or opening or closing bracket a line, each line
// with the path of its value.
func prettyJSON(raw []byte, maxLines int) ([]jsonLine, error) {
	p := printer{dec: json.NewDecoder(bytes.NewReader(raw)), max: maxLines}
	p.dec.UseNumber()
	if err := p.value("$", "", 0); err != nil {
		return nil, err
	}
	return p.lines, nil
}

type printer struct {
	dec   *json.Decoder
	lines []jsonLine
	max   int
}

func (p *printer) emit(depth int, text, path string) error {
	if len(p.lines) >= p.max {
		return errTooManyLines
	}
	p.lines = append(p.lines, jsonLine{Text: strings.Repeat("  ", depth) + text, Path: path})
	return nil
}

func (p *printer) value(path, prefix string, depth int) error {
	tok, err := p.dec.Token()
	if err != nil {
		return err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return p.emit(depth, prefix+compact(tok), path)
	}
	closing := map[json.Delim]string{'{': "}", '[': "]"}[delim]
	if !p.dec.More() {
		if _, err := p.dec.Token(); err != nil {
			return err
		}
		return p.emit(depth, prefix+delim.String()+closing, path)
	}
	if err := p.emit(depth, prefix+delim.String(), path); err != nil {
		return err
	}
	for i := 0; p.dec.More(); i++ {
		child, childPrefix := path+"["+strconv.Itoa(i)+"]", ""
		if delim == '{' {
			k, err := p.dec.Token()
			if err != nil {
				return err
			}
			key, _ := k.(string)
			child, childPrefix = path+docdiff.Key(key), compact(key)+": "
		}
		if err := p.value(child, childPrefix, depth+1); err != nil {
			return err
		}
		if p.dec.More() {
			p.lines[len(p.lines)-1].Text += ","
		}
	}
	if _, err := p.dec.Token(); err != nil {
		return err
	}
	return p.emit(depth, closing, path)
}
