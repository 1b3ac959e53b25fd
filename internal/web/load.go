package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/usher-hub/usher"
)

// LoadSource gives the Load page its figures: the planner and the live
// backlog of the outbox (the shared database's, so every replica's).
type LoadSource interface {
	// Plan plans req for an institution against its S-360 budget and the
	// backlog; ENOTFOUND if it has no S-360 API.
	Plan(ctx context.Context, institution string, req usher.LoadRequest) (usher.LoadPlan, error)
	// Backlog returns recent samples of the institution's backlog, oldest
	// first, the last one taken now.
	Backlog(ctx context.Context, institution string) ([]BacklogSample, error)
}

// BacklogSample is the outbox of one institution at one moment: the jobs
// waiting or running per destination, and those done so far (their
// difference between samples is the rate).
type BacklogSample struct {
	At                time.Time
	S360, CRM         int
	S360Done, CRMDone int
}

// loadParams are the Load page's parameters.
var loadParams = []string{"institution", "contacts", "bookings"}

// destinationView is one destination's backlog, rate and time left.
type destinationView struct {
	Name    string
	Backlog int
	// PerMinute is the jobs done a minute over the samples shown.
	PerMinute float64
	// ETA is when the backlog would be empty at that rate; zero when it
	// is empty or nothing moves.
	ETA time.Time
}

type loadData struct {
	pageData
	Contacts, Bookings int
	Plan               usher.LoadPlan
	PlanTime           time.Duration
	BacklogTime        time.Duration
	Destinations       []destinationView
	Chart              Chart
}

func (h *Handler) load(w http.ResponseWriter, r *http.Request) {
	pd, contacts, bookings, err := h.loadFilter(r)
	if err != nil {
		h.renderError(w, r, pd, err)
		return
	}
	data := loadData{pageData: pd, Contacts: contacts, Bookings: bookings}
	if data.Plan, err = h.loadSource.Plan(r.Context(), pd.Institution, usher.LoadRequest{Contacts: contacts, Bookings: bookings}); err != nil {
		h.renderError(w, r, pd, err)
		return
	}
	data.PlanTime = seconds(data.Plan.Seconds)
	data.BacklogTime = seconds(data.Plan.BacklogSeconds)
	samples, err := h.loadSource.Backlog(r.Context(), pd.Institution)
	if err != nil {
		h.renderError(w, r, pd, err)
		return
	}
	data.Destinations, data.Chart = backlogView(samples, h.loc)
	h.render(w, r, http.StatusOK, "load", data)
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Second)
}

// loadFilter reads the institution and the load to plan (default 10,000
// new contacts).
func (h *Handler) loadFilter(r *http.Request) (pageData, int, int, error) {
	p := principalFrom(r.Context())
	pd := pageData{Title: "Load", Nav: "load", User: p.Name, Institutions: h.visible(p), Mail: h.showsMail(p), Load: true}
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return pd, 0, 0, usher.Errorf(usher.EINVALID, "malformed query string: %v", err)
	}
	for k := range v {
		if !slices.Contains(loadParams, k) {
			return pd, 0, 0, usher.Errorf(usher.EINVALID, "unknown parameter %q: this page takes institution, contacts and bookings", k)
		}
	}
	if pd.Institution, err = h.pick(pd.Institutions, v); err != nil {
		return pd, 0, 0, err
	}
	contacts, err := count(v, "contacts", 10000)
	if err != nil {
		return pd, 0, 0, err
	}
	bookings, err := count(v, "bookings", 0)
	return pd, contacts, bookings, err
}

// count reads a whole number from 0 to 100 million.
func count(v url.Values, name string, def int) (int, error) {
	s := v.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 100_000_000 {
		return 0, usher.Errorf(usher.EINVALID, "parameter %q must be a whole number from 0 to 100000000, got %q", name, s)
	}
	return n, nil
}

// backlogView turns samples into each destination's backlog, rate and
// ETA, and a chart of the backlog over the samples.
func backlogView(samples []BacklogSample, loc Locale) ([]destinationView, Chart) {
	c := Chart{Title: "Outbox backlog per destination (jobs waiting or running)", Lines: true, ZeroIsData: true, Locale: loc,
		Series: []Series{{Name: "S-360 writes"}, {Name: "CRM deliveries"}}}
	for _, s := range samples {
		c.Labels = append(c.Labels, s.At.Format("15:04:05"))
		c.Series[0].Values = append(c.Series[0].Values, float64(s.S360))
		c.Series[1].Values = append(c.Series[1].Values, float64(s.CRM))
	}
	if len(samples) == 0 {
		return nil, c
	}
	first, last := samples[0], samples[len(samples)-1]
	minutes := last.At.Sub(first.At).Minutes()
	dest := func(name string, backlog, done0, done1 int) destinationView {
		d := destinationView{Name: name, Backlog: backlog}
		if minutes > 0 && done1 > done0 {
			d.PerMinute = float64(done1-done0) / minutes
			if backlog > 0 {
				d.ETA = last.At.Add(time.Duration(float64(backlog) / d.PerMinute * float64(time.Minute))).Truncate(time.Second)
			}
		}
		return d
	}
	return []destinationView{
		dest("S-360 writes", last.S360, first.S360Done, last.S360Done),
		dest("CRM deliveries", last.CRM, first.CRMDone, last.CRMDone),
	}, c
}
