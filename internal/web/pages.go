package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
)

// page is what every signed-in page shows around its content.
type page struct {
	Title        string
	Principal    string
	Nav          []navLink
	Institutions []string
	Institution  string
	Error        string
}

type navLink struct {
	Label  string
	Href   string
	Active bool
}

// reportPage is one report with its filter form, charts and tables.
type reportPage struct {
	page
	Report  analytics.Report
	Form    reportForm
	Summary []card
	Charts  []Chart
	Tables  []table
	CSV     string
	Note    string
}

type reportForm struct {
	From, To  string
	Intervals []option
	Bys       []option
}

type option struct {
	Value    string
	Selected bool
}

type card struct {
	Label, Value, Note string
}

type table struct {
	Title  string
	Header []string
	Rows   [][]string
}

var reportTitles = map[analytics.Report]string{
	analytics.ReportSales:      "Sales",
	analytics.ReportAttendance: "Attendance",
	analytics.ReportGates:      "Gate quality",
	analytics.ReportBreakdown:  "Visitors by product and type",
	analytics.ReportContacts:   "Contacts",
}

func (s *Server) basePage(r *http.Request, p usher.Principal, title, active, institution string) page {
	pg := page{Title: title, Principal: p.Name, Institutions: s.allowed(p), Institution: institution}
	query := ""
	if institution != "" {
		query = "?institution=" + url.QueryEscape(institution)
	}
	for _, rep := range analytics.Reports {
		pg.Nav = append(pg.Nav, navLink{Label: reportTitles[rep], Href: "/dashboard/" + string(rep) + query, Active: active == string(rep)})
	}
	pg.Nav = append(pg.Nav, navLink{Label: "Ingest health", Href: "/dashboard/health" + query, Active: active == "health"})
	return pg
}

// institution picks the institution a page shows: the one asked for, or
// the principal's first. ok is false when the principal may see none.
func (s *Server) institution(r *http.Request, p usher.Principal) (string, bool) {
	allowed := s.allowed(p)
	asked := r.URL.Query().Get("institution")
	if asked == "" && len(allowed) > 0 {
		return allowed[0], true
	}
	return asked, slices.Contains(allowed, asked)
}

// report serves GET /dashboard/{report}.
func (s *Server) report(w http.ResponseWriter, r *http.Request, p usher.Principal) {
	rep, err := analytics.ParseReport(r.PathValue("report"))
	if err != nil {
		s.renderError(w, r, p, http.StatusNotFound, "There is no such report.")
		return
	}
	inst, ok := s.institution(r, p)
	if !ok {
		s.renderError(w, r, p, http.StatusNotFound, "Your key may not see this institution, or none is configured.")
		return
	}
	pg := reportPage{page: s.basePage(r, p, reportTitles[rep], string(rep), inst), Report: rep}
	q, err := analytics.ParseQuery(rep, inst, reportParams(r), s.deps.Service.Today())
	pg.Form = formOf(rep, q, r)
	if err != nil {
		pg.Error = usher.ErrorMessage(err)
		s.render(w, r, http.StatusBadRequest, "report", pg)
		return
	}
	res, err := s.deps.Service.Run(r.Context(), rep, q)
	if err != nil {
		s.deps.Logger.ErrorContext(r.Context(), "dashboard report", "report", rep, "err", err)
		pg.Error = usher.ErrorMessage(err)
		s.render(w, r, http.StatusServiceUnavailable, "report", pg)
		return
	}
	fillReport(&pg, res)
	pg.CSV = "/dashboard/export/" + string(rep) + "?" + r.URL.RawQuery
	s.render(w, r, http.StatusOK, "report", pg)
}

// exportCSV serves GET /dashboard/export/{report} with the page's filters.
func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request, p usher.Principal) {
	rep, err := analytics.ParseReport(r.PathValue("report"))
	inst, ok := s.institution(r, p)
	if err != nil || !ok {
		http.Error(w, "no such report or institution", http.StatusNotFound)
		return
	}
	params := reportParams(r)
	export, err := analytics.ParseExport(rep, params)
	var q usher.ReportQuery
	if err == nil {
		q, err = analytics.ParseQuery(rep, inst, params, s.deps.Service.Today())
	}
	if err != nil {
		http.Error(w, usher.ErrorMessage(err), http.StatusBadRequest)
		return
	}
	res, err := s.deps.Service.Run(r.Context(), rep, q)
	if err != nil {
		http.Error(w, usher.ErrorMessage(err), http.StatusServiceUnavailable)
		return
	}
	if err := analytics.ServeCSV(w, res, export.Table); err != nil {
		s.deps.Logger.WarnContext(r.Context(), "dashboard csv", "err", err)
	}
}

// reportParams returns the query without the dashboard's own parameter,
// and without empty fields (an empty date box means "default").
func reportParams(r *http.Request) url.Values {
	v := url.Values{}
	for k, vals := range r.URL.Query() {
		if k == "institution" {
			continue
		}
		for _, x := range vals {
			if x != "" {
				v.Add(k, x)
			}
		}
	}
	return v
}

func formOf(rep analytics.Report, q usher.ReportQuery, r *http.Request) reportForm {
	f := reportForm{From: r.URL.Query().Get("from"), To: r.URL.Query().Get("to")}
	if !q.From.IsZero() {
		f.From, f.To = analytics.FormatDate(q.From), analytics.FormatDate(q.To)
	}
	for _, iv := range analytics.Intervals(rep) {
		f.Intervals = append(f.Intervals, option{Value: string(iv), Selected: iv == q.Interval})
	}
	for _, by := range analytics.Breakdowns(rep) {
		f.Bys = append(f.Bys, option{Value: by, Selected: by == q.By})
	}
	return f
}

// render executes a page template into a buffer first, so a template
// error becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		s.deps.Logger.ErrorContext(r.Context(), "render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, p usher.Principal, status int, msg string) {
	pg := s.basePage(r, p, "Not available", "", "")
	pg.Error = msg
	s.render(w, r, status, "error", pg)
}

// parsePages parses each page template with the shared layout.
func parsePages() (map[string]*template.Template, error) {
	layout, err := template.ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, name := range []string{"login", "report", "health", "error"} {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}
