package quarantine

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/httpapi"
)

// MaxLimit bounds one page of the listing: quarantined documents carry
// their whole body, so a page must stay a reasonable response.
const MaxLimit = 1000

// maxRequestBody bounds what a GET may send: nothing is read from it.
const maxRequestBody = 1 << 10

// Finder lists quarantined documents.
type Finder interface {
	FindQuarantined(ctx context.Context, f usher.QuarantineFilter) ([]usher.QuarantinedDocument, error)
}

// Handler serves GET /api/v1/quarantine. It must be mounted behind
// httpapi.APIKeys.Require: it reads the request's principal to scope the
// listing to the key's institutions.
type Handler struct {
	store  Finder
	logger *slog.Logger
}

// NewHandler returns the listing handler over store.
func NewHandler(store Finder, logger *slog.Logger) *Handler {
	return &Handler{store: store, logger: logger}
}

// Page is the listing's response body.
type Page struct {
	Items []Item `json:"items"`
	// NextAfterID, when set, is the after_id of the next page.
	NextAfterID int64 `json:"next_after_id,omitempty"`
}

// Item is one quarantined document as the API shows it.
type Item struct {
	ID             int64             `json:"id"`
	Institution    string            `json:"institution"`
	Stream         usher.Stream      `json:"stream"`
	DocType        string            `json:"doc_type"`
	ExternalID     string            `json:"external_id,omitempty"`
	Status         string            `json:"status"`
	SchemaVersion  string            `json:"schema_version"`
	Violations     []usher.Violation `json:"violations"`
	ReceivedAt     time.Time         `json:"received_at"`
	LastSeenAt     time.Time         `json:"last_seen_at"`
	SeenCount      int               `json:"seen_count"`
	ReplayedAt     *time.Time        `json:"replayed_at,omitempty"`
	ReleasedAt     *time.Time        `json:"released_at,omitempty"`
	ReleaseOutcome usher.Outcome     `json:"release_outcome,omitempty"`
	// Document is the document as received when it is JSON text;
	// DocumentBase64 carries it instead when its bytes are not UTF-8.
	Document       json.RawMessage `json:"document,omitempty"`
	DocumentBase64 []byte          `json:"document_base64,omitempty"`
}

// ServeHTTP lists quarantined documents, oldest first.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	page, err := h.list(r)
	if err != nil {
		httpapi.Error(w, r, h.logger, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, page)
}

func (h *Handler) list(r *http.Request) (Page, error) {
	v, err := httpapi.Query(r)
	if err != nil {
		return Page{}, err
	}
	f, err := ParseFilter(v)
	if err != nil {
		return Page{}, err
	}
	if f.Institutions, err = scope(r, f.Institutions); err != nil {
		return Page{}, err
	}
	docs, err := h.store.FindQuarantined(r.Context(), f)
	if err != nil {
		return Page{}, err
	}
	page := Page{Items: make([]Item, 0, len(docs))}
	for _, d := range docs {
		page.Items = append(page.Items, NewItem(d))
	}
	if len(docs) == f.Limit {
		page.NextAfterID = docs[len(docs)-1].ID
	}
	return page, nil
}

// ParseFilter reads the listing's query: institution, stream, status
// (pending, released or all), after_id and limit. Unknown parameters are
// an error, so a misspelt filter never silently lists everything.
func ParseFilter(q url.Values) (usher.QuarantineFilter, error) {
	f := usher.QuarantineFilter{Limit: 100}
	for name, values := range q {
		if len(values) != 1 {
			return f, usher.Errorf(usher.EINVALID, "query parameter %q is given %d times; give it once", name, len(values))
		}
		if err := setParam(&f, name, values[0]); err != nil {
			return f, err
		}
	}
	return f, nil
}

func setParam(f *usher.QuarantineFilter, name, v string) error {
	var err error
	switch name {
	case "institution":
		f.Institutions = []string{v}
	case "stream":
		if f.Stream, err = usher.ParseStream(v); err != nil {
			return usher.Errorf(usher.EINVALID, "%s", usher.ErrorMessage(err))
		}
	case "status":
		f.Status, err = usher.ParseQuarantineStatus(v)
	case "after_id":
		f.AfterID, err = strconv.ParseInt(v, 10, 64)
		if err != nil || f.AfterID < 0 {
			err = usher.Errorf(usher.EINVALID, "after_id must be a whole number ≥ 0, got %q", v)
		}
	case "limit":
		f.Limit, err = strconv.Atoi(v)
		if err != nil || f.Limit < 1 || f.Limit > MaxLimit {
			err = usher.Errorf(usher.EINVALID, "limit must be a whole number from 1 to %d, got %q", MaxLimit, v)
		}
	default:
		err = usher.Errorf(usher.EINVALID, "unknown query parameter %q: use institution, stream, status, after_id or limit", name)
	}
	return err
}

// scope narrows the listing to the principal's institutions: asking for
// an institution the key may not see is ENOTFOUND, as if it did not exist.
func scope(r *http.Request, asked []string) ([]string, error) {
	p, ok := httpapi.PrincipalFrom(r.Context())
	if !ok {
		return nil, usher.Errorf(usher.EUNAUTHORIZED, "not authenticated")
	}
	for _, code := range asked {
		if err := httpapi.Authorize(r, code); err != nil {
			return nil, err
		}
	}
	if asked != nil || p.AllowsAll() {
		return asked, nil
	}
	return append([]string{}, p.Institutions...), nil
}

// NewItem is the API form of a quarantined document.
func NewItem(d usher.QuarantinedDocument) Item {
	it := Item{
		ID: d.ID, Institution: d.Institution, Stream: d.Stream, DocType: d.DocType, ExternalID: d.ExternalID,
		Status: string(usher.QuarantinePending), SchemaVersion: d.SchemaVersion, Violations: d.Violations,
		ReceivedAt: d.ReceivedAt, LastSeenAt: d.LastSeenAt, SeenCount: d.SeenCount,
		ReplayedAt: d.ReplayedAt, ReleasedAt: d.ReleasedAt, ReleaseOutcome: d.ReleaseOutcome,
	}
	if d.ReleasedAt != nil {
		it.Status = string(usher.QuarantineReleased)
	}
	if it.Violations == nil {
		it.Violations = []usher.Violation{}
	}
	if utf8.Valid(d.Raw) && json.Valid(d.Raw) {
		it.Document = json.RawMessage(d.Raw)
	} else {
		it.DocumentBase64 = d.Raw
	}
	return it
}
