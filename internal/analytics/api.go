package analytics

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/httpapi"
)

// Handler serves the analytics API. Every route needs an API key scoped to
// the institution; a key for another institution gets 404, as if the
// institution did not exist.
type Handler struct {
	svc          *Service
	institutions map[string]bool
	logger       *slog.Logger
}

// NewHandler returns the API over svc for the configured institutions.
func NewHandler(svc *Service, institutions []string, logger *slog.Logger) *Handler {
	known := make(map[string]bool, len(institutions))
	for _, code := range institutions {
		known[code] = true
	}
	return &Handler{svc: svc, institutions: known, logger: logger}
}

// Mount adds the API routes to mux behind keys.
func (h *Handler) Mount(mux *http.ServeMux, keys *httpapi.APIKeys) {
	mux.Handle("GET /api/v1/analytics/{institution}/health", keys.Require(h.logger, http.HandlerFunc(h.serveHealth)))
	mux.Handle("GET /api/v1/analytics/{institution}/{report}", keys.Require(h.logger, http.HandlerFunc(h.serveReport)))
}

// serveReport answers GET /api/v1/analytics/{institution}/{report}, as
// JSON or, with format=csv, as a CSV download.
func (h *Handler) serveReport(w http.ResponseWriter, r *http.Request) {
	res, export, err := h.report(r)
	if err != nil {
		httpapi.Error(w, r, h.logger, err)
		return
	}
	w.Header().Set("Cache-Control", "private, no-store")
	if export.CSV {
		if err := ServeCSV(w, res, export.Table); err != nil {
			h.logger.WarnContext(r.Context(), "csv export", "err", err)
		}
		return
	}
	httpapi.JSON(w, http.StatusOK, res)
}

// Export says how a report is to be written.
type Export struct {
	CSV   bool
	Table string // rows or reasons
}

func (h *Handler) report(r *http.Request) (*Result, Export, error) {
	inst, err := h.institution(r)
	if err != nil {
		return nil, Export{}, err
	}
	report, err := ParseReport(r.PathValue("report"))
	if err != nil {
		return nil, Export{}, err
	}
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, Export{}, usher.Errorf(usher.EINVALID, "malformed query string: %v", err)
	}
	export, err := ParseExport(report, v)
	if err != nil {
		return nil, export, err
	}
	q, err := ParseQuery(report, inst, v, h.svc.Today())
	if err != nil {
		return nil, export, err
	}
	res, err := h.svc.Run(r.Context(), report, q)
	return res, export, err
}

// ParseExport reads format (json or csv) and table (rows, or reasons for
// the gates report) from v.
func ParseExport(report Report, v url.Values) (Export, error) {
	var e Export
	switch v.Get("format") {
	case "", "json":
	case "csv":
		e.CSV = true
	default:
		return e, usher.Errorf(usher.EINVALID, "format must be json or csv, got %q", v.Get("format"))
	}
	switch e.Table = v.Get("table"); {
	case e.Table == "" || e.Table == "rows":
	case e.Table == "reasons" && report == ReportGates:
	default:
		return e, usher.Errorf(usher.EINVALID, "table must be rows (or reasons for the gates report), got %q", e.Table)
	}
	return e, nil
}

// ServeCSV writes one table of res (its rows, or its failure reasons) as
// a CSV download named after the report and its range.
func ServeCSV(w http.ResponseWriter, res *Result, table string) error {
	rows := res.Rows
	name := string(res.Report)
	if table == "reasons" {
		rows, name = res.Reasons, name+"-reasons"
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s-%s-%s.csv"`, res.Institution, name, res.From, res.To))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	return WriteCSV(w, rows)
}

// institution returns the request's institution once the key may read
// it and it is configured. GET routes take no body: one is refused rather
// than read, so a client cannot make the server buffer anything.
func (h *Handler) institution(r *http.Request) (string, error) {
	if r.ContentLength != 0 {
		return "", usher.Errorf(usher.ETOOLARGE, "analytics requests take no body")
	}
	code := r.PathValue("institution")
	if err := httpapi.Authorize(r, code); err != nil {
		return "", err
	}
	if !h.institutions[code] {
		return "", usher.Errorf(usher.ENOTFOUND, "unknown institution %q", code)
	}
	return code, nil
}

// HealthBody is the JSON body of the ingest-health endpoint.
type HealthBody struct {
	Institution string         `json:"institution"`
	WindowHours int            `json:"window_hours"`
	Streams     []StreamHealth `json:"streams"`
}

// StreamHealth is one stream's last push and recent volume.
type StreamHealth struct {
	Stream         usher.Stream `json:"stream"`
	LastReceivedAt *time.Time   `json:"last_received_at"`
	Received       int64        `json:"received"`
}

// serveHealth answers GET /api/v1/analytics/{institution}/health.
func (h *Handler) serveHealth(w http.ResponseWriter, r *http.Request) {
	inst, err := h.institution(r)
	if err != nil {
		httpapi.Error(w, r, h.logger, err)
		return
	}
	if r.URL.RawQuery != "" {
		httpapi.Error(w, r, h.logger, usher.Errorf(usher.EINVALID, "the health endpoint takes no parameters"))
		return
	}
	rows, err := h.svc.Health(r.Context(), inst)
	if err != nil {
		httpapi.Error(w, r, h.logger, err)
		return
	}
	body := HealthBody{Institution: inst, WindowHours: int(HealthWindow.Hours()), Streams: make([]StreamHealth, len(rows))}
	for i, s := range rows {
		body.Streams[i] = StreamHealth{Stream: s.Stream, LastReceivedAt: s.LastReceivedAt, Received: s.ReceivedSince}
	}
	w.Header().Set("Cache-Control", "private, no-store")
	httpapi.JSON(w, http.StatusOK, body)
}
