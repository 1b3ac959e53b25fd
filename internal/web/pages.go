package web

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
	"github.com/usher-hub/usher/internal/httpapi"
)

// pageData is what every page's layout shows.
type pageData struct {
	Title        string
	Nav          string
	User         string
	Institutions []string // those the key may read, for the picker
	Institution  string
	From, To     string
	Interval     string
	Intervals    []string
	// Mail shows the e-mails page in the menu (the demo's mail catcher).
	Mail bool
	// Load shows the Load page in the menu (a server with an S-360 API).
	Load bool
}

// overviewParams are the parameters of the overview form.
var overviewParams = []string{"institution", "from", "to", "interval"}

// filter reads the institution and the date range of a page: the
// institution must be one the session's key may read (else ENOTFOUND, as
// in the API), the range and interval follow the API's rules.
func (h *Handler) filter(r *http.Request, allowed []string) (pageData, usher.ReportQuery, error) {
	p := principalFrom(r.Context())
	pd := pageData{User: p.Name, Institutions: h.visible(p), Intervals: []string{"day", "week", "month"}, Mail: h.showsMail(p), Load: h.loadSource != nil}
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return pd, usher.ReportQuery{}, usher.Errorf(usher.EINVALID, "malformed query string: %v", err)
	}
	for k := range v {
		if !slices.Contains(allowed, k) {
			return pd, usher.ReportQuery{}, usher.Errorf(usher.EINVALID, "unknown parameter %q", k)
		}
	}
	inst, err := h.pick(pd.Institutions, v)
	if err != nil {
		return pd, usher.ReportQuery{}, err
	}
	pd.Institution = inst
	v.Del("institution")
	q, err := analytics.ParseQuery(analytics.ReportSales, inst, v, h.svc.Today())
	if err != nil {
		return pd, q, err
	}
	pd.From, pd.To, pd.Interval = analytics.FormatDate(q.From), analytics.FormatDate(q.To), string(q.Interval)
	return pd, q, nil
}

// visible lists the configured institutions p may read.
func (h *Handler) visible(p usher.Principal) []string {
	var out []string
	for _, code := range h.institutions {
		if p.Allows(code) {
			out = append(out, code)
		}
	}
	return out
}

// pick returns the institution asked for, or the first visible one.
func (h *Handler) pick(visible []string, v url.Values) (string, error) {
	if len(v["institution"]) > 1 {
		return "", usher.Errorf(usher.EINVALID, "parameter \"institution\" is given %d times: give it once", len(v["institution"]))
	}
	code := v.Get("institution")
	if code == "" {
		if len(visible) == 0 {
			return "", usher.Errorf(usher.ENOTFOUND, "this key may read no configured institution")
		}
		return visible[0], nil
	}
	if !slices.Contains(visible, code) {
		return "", usher.Errorf(usher.ENOTFOUND, "unknown institution %q", code)
	}
	return code, nil
}

// healthData is the ingest-health and quarantine page.
type healthData struct {
	pageData
	Streams          []usher.StreamHealth
	WindowHours      int
	HasQuarantine    bool
	Quarantined      []QuarantineEntry
	QuarantineFull   bool
	QuarantineByKind map[usher.Stream]int
	// Conflicts counts the listed entries that are ticket checks whose id
	// is stored with other content.
	Conflicts int
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	pd, err := h.healthFilter(r)
	if err != nil {
		h.renderError(w, r, pd, err)
		return
	}
	data := healthData{pageData: pd, WindowHours: int(analytics.HealthWindow.Hours()), HasQuarantine: h.quarantine != nil}
	if data.Streams, err = h.svc.Health(r.Context(), pd.Institution); err != nil {
		h.renderError(w, r, pd, err)
		return
	}
	if h.quarantine != nil {
		if data.Quarantined, err = h.quarantine.Pending(r.Context(), pd.Institution, quarantineLimit+1); err != nil {
			h.renderError(w, r, pd, err)
			return
		}
		if len(data.Quarantined) > quarantineLimit {
			data.Quarantined, data.QuarantineFull = data.Quarantined[:quarantineLimit], true
		}
		data.QuarantineByKind = map[usher.Stream]int{}
		for _, e := range data.Quarantined {
			data.QuarantineByKind[e.Stream]++
			if e.Conflict {
				data.Conflicts++
			}
		}
	}
	h.render(w, r, http.StatusOK, "health", data)
}

// healthFilter reads the health page's one parameter, the institution.
func (h *Handler) healthFilter(r *http.Request) (pageData, error) {
	p := principalFrom(r.Context())
	pd := pageData{Title: "Ingest health", Nav: "health", User: p.Name, Institutions: h.visible(p), Mail: h.showsMail(p), Load: h.loadSource != nil}
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return pd, usher.Errorf(usher.EINVALID, "malformed query string: %v", err)
	}
	for k := range v {
		if k != "institution" {
			return pd, usher.Errorf(usher.EINVALID, "unknown parameter %q: this page takes institution", k)
		}
	}
	pd.Institution, err = h.pick(pd.Institutions, v)
	return pd, err
}

// export serves one report's CSV (or JSON) with the API's parameters, for
// the chart links: a browser link cannot send the API's bearer key, so
// the session stands in for it, with the same scope.
func (h *Handler) export(w http.ResponseWriter, r *http.Request) {
	res, ex, err := h.exportReport(r)
	if err != nil {
		httpapi.Error(w, r, h.logger, err)
		return
	}
	if !ex.CSV {
		httpapi.JSON(w, http.StatusOK, res)
		return
	}
	if err := analytics.ServeCSV(w, res, ex.Table); err != nil {
		h.logger.WarnContext(r.Context(), "dashboard csv export", "err", err)
	}
}

func (h *Handler) exportReport(r *http.Request) (*analytics.Result, analytics.Export, error) {
	inst := r.PathValue("institution")
	if !slices.Contains(h.visible(principalFrom(r.Context())), inst) {
		return nil, analytics.Export{}, usher.Errorf(usher.ENOTFOUND, "unknown institution %q", inst)
	}
	report, err := analytics.ParseReport(r.PathValue("report"))
	if err != nil {
		return nil, analytics.Export{}, err
	}
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, analytics.Export{}, usher.Errorf(usher.EINVALID, "malformed query string: %v", err)
	}
	ex, err := analytics.ParseExport(report, v)
	if err != nil {
		return nil, ex, err
	}
	q, err := analytics.ParseQuery(report, inst, v, h.svc.Today())
	if err != nil {
		return nil, ex, err
	}
	res, err := h.svc.Run(r.Context(), report, q)
	return res, ex, err
}
