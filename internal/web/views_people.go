package web

import (
	"cmp"
	"slices"

	"github.com/usher-hub/usher/internal/analytics"
)

// unmatchedLabel names the bar of checks whose order movement usher has
// not received: shown next to the others, never left out.
const unmatchedLabel = "Unmatched"

// breakdownView is attendance per product or customer type, joined
// through movement_id.
type breakdownView struct {
	Chart   Chart
	By      string
	Summary analytics.BreakdownSummary
}

func newBreakdownView(res *analytics.Result, title string) breakdownView {
	rows, _ := res.Rows.([]analytics.BreakdownRow)
	sum, _ := res.Summary.(analytics.BreakdownSummary)
	type total struct{ in, out, failed int64 }
	by := map[string]*total{}
	var labels []string
	add := func(label string, r analytics.BreakdownRow) {
		t := by[label]
		if t == nil {
			t = &total{}
			by[label] = t
			labels = append(labels, label)
		}
		t.in, t.out, t.failed = t.in+r.In, t.out+r.Out, t.failed+r.Failed
	}
	for _, r := range rows {
		label := r.Label
		if !r.Matched {
			label = unmatchedLabel
		} else if label == "" {
			label = "(none)"
		}
		add(label, r)
	}
	// Largest first, the unmatched bar last whatever its size.
	slices.SortFunc(labels, func(a, b string) int {
		if a == unmatchedLabel || b == unmatchedLabel {
			return cmp.Compare(boolInt(a == unmatchedLabel), boolInt(b == unmatchedLabel))
		}
		return cmp.Or(cmp.Compare(by[b].in, by[a].in), cmp.Compare(a, b))
	})
	in, out, failed := Series{Name: "IN"}, Series{Name: "OUT"}, Series{Name: "Refused"}
	for _, l := range labels {
		t := by[l]
		in.Values, out.Values, failed.Values = append(in.Values, float64(t.in)), append(out.Values, float64(t.out)), append(failed.Values, float64(t.failed))
	}
	return breakdownView{By: res.By, Summary: sum,
		Chart: Chart{Title: title, Labels: labels, Series: []Series{in, out, failed}}}
}

// Total is every check of the range, matched or not.
func (v breakdownView) Total() int64 { return v.Summary.MatchedChecks + v.Summary.UnmatchedChecks }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// contactsView is the contacts section: new and updated contacts, persons
// apart from companies.
type contactsView struct {
	New, Updated                 Chart
	NewPersons, NewCompanies     int64
	UpdatedPersons, UpdatedComps int64
}

func newContactsView(res *analytics.Result) contactsView {
	rows, _ := res.Rows.([]analytics.ContactsRow)
	var v contactsView
	np, nc := Series{Name: "Persons"}, Series{Name: "Companies"}
	up, uc := Series{Name: "Persons"}, Series{Name: "Companies"}
	var labels []string
	for _, r := range rows {
		labels = append(labels, r.Period)
		np.Values, nc.Values = append(np.Values, float64(r.NewPersons)), append(nc.Values, float64(r.NewCompanies))
		up.Values, uc.Values = append(up.Values, float64(r.UpdatedPersons)), append(uc.Values, float64(r.UpdatedCompanies))
		v.NewPersons, v.NewCompanies = v.NewPersons+r.NewPersons, v.NewCompanies+r.NewCompanies
		v.UpdatedPersons, v.UpdatedComps = v.UpdatedPersons+r.UpdatedPersons, v.UpdatedComps+r.UpdatedCompanies
	}
	per := " per " + string(res.Interval)
	v.New = Chart{Title: "New contacts" + per, Labels: labels, Series: []Series{np, nc}}
	v.Updated = Chart{Title: "Updated contacts" + per, Labels: labels, Series: []Series{up, uc}}
	return v
}
