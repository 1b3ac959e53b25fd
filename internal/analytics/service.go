// Package analytics is usher's venue-analytics face: the reports (sales,
// attendance, gate quality, attendance per product or customer type,
// contacts) over the store's projections, served as JSON and CSV under
// /api/v1/analytics and shared with the dashboard and `usher report`.
package analytics

import (
	"context"
	"time"

	"github.com/usher-hub/usher"
)

// Service answers the venue reports. It adds to the store's rows what is
// not per period: empty periods as zeros, the peak hour, today's occupancy
// and the unmatched share.
type Service struct {
	store usher.AnalyticsStore
	now   func() time.Time
	zone  *time.Location
}

// NewService returns a Service reading store. zone is the venue's time
// zone: it decides what "today" is for occupancy and default ranges.
func NewService(store usher.AnalyticsStore, now func() time.Time, zone *time.Location) *Service {
	if zone == nil {
		zone = time.UTC
	}
	return &Service{store: store, now: now, zone: zone}
}

// Today returns the venue's current date.
func (s *Service) Today() time.Time { return Date(s.now().In(s.zone)) }

// Run answers report for q.
func (s *Service) Run(ctx context.Context, report Report, q usher.ReportQuery) (*Result, error) {
	res := &Result{Report: report, Institution: q.Institution, From: FormatDate(q.From), To: FormatDate(q.To), Interval: q.Interval, By: q.By}
	var err error
	switch report {
	case ReportSales:
		err = s.sales(ctx, q, res)
	case ReportAttendance:
		err = s.attendance(ctx, q, res)
	case ReportGates:
		err = s.gates(ctx, q, res)
	case ReportBreakdown:
		err = s.breakdown(ctx, q, res)
	case ReportContacts:
		err = s.contacts(ctx, q, res)
	default:
		err = usher.Errorf(usher.ENOTFOUND, "unknown report %q", report)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Service) sales(ctx context.Context, q usher.ReportQuery, res *Result) error {
	rep, err := s.store.ReportSales(ctx, q)
	if err != nil {
		return err
	}
	rows := rep.Rows
	if q.By == usher.ByAll || q.By == "" {
		rows = fill(q, rows, func(r usher.SalesRow) time.Time { return r.Period },
			func(p time.Time) usher.SalesRow { return usher.SalesRow{Period: p} })
	}
	res.Currency, res.Rows = rep.Currency, salesRows(rows, q.Interval)
	return nil
}

func (s *Service) attendance(ctx context.Context, q usher.ReportQuery, res *Result) error {
	rows, err := s.store.ReportAttendance(ctx, q)
	if err != nil {
		return err
	}
	sum := AttendanceSummary{}
	for _, r := range rows {
		sum.TotalIn, sum.TotalOut, sum.Failed = sum.TotalIn+r.In, sum.TotalOut+r.Out, sum.Failed+r.Failed
	}
	if err := s.peak(ctx, q, rows, &sum); err != nil {
		return err
	}
	if sum.Occupancy, err = s.occupancy(ctx, q.Institution); err != nil {
		return err
	}
	rows = fill(q, rows, func(r usher.AttendanceRow) time.Time { return r.Period },
		func(p time.Time) usher.AttendanceRow { return usher.AttendanceRow{Period: p} })
	res.Rows, res.Summary = attendanceRows(rows, q.Interval), sum
	return nil
}

// peak finds the hour of q's range with the most successful entries,
// reading hourly rows unless the report already is hourly.
func (s *Service) peak(ctx context.Context, q usher.ReportQuery, rows []usher.AttendanceRow, sum *AttendanceSummary) error {
	if q.Interval != usher.IntervalHour {
		hourly := q
		hourly.Interval = usher.IntervalHour
		var err error
		if rows, err = s.store.ReportAttendance(ctx, hourly); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if r.In > sum.PeakIn {
			sum.PeakIn, sum.PeakHour = r.In, FormatPeriod(r.Period, usher.IntervalHour)
		}
	}
	return nil
}

// occupancy is who is inside now: today's entries minus today's exits.
func (s *Service) occupancy(ctx context.Context, institution string) (Occupancy, error) {
	today := s.Today()
	rows, err := s.store.ReportAttendance(ctx, usher.ReportQuery{Institution: institution, From: today, To: today, Interval: usher.IntervalDay})
	if err != nil {
		return Occupancy{}, err
	}
	o := Occupancy{Date: FormatDate(today)}
	for _, r := range rows {
		o.In, o.Out = o.In+r.In, o.Out+r.Out
	}
	o.Inside = o.In - o.Out
	return o, nil
}

func (s *Service) gates(ctx context.Context, q usher.ReportQuery, res *Result) error {
	rep, err := s.store.ReportGates(ctx, q)
	if err != nil {
		return err
	}
	res.Rows, res.Reasons = gateRows(rep.Rows, q.Interval), reasonRows(rep.Reasons, q.Interval)
	return nil
}

func (s *Service) breakdown(ctx context.Context, q usher.ReportQuery, res *Result) error {
	rows, err := s.store.ReportBreakdown(ctx, q)
	if err != nil {
		return err
	}
	res.Rows, res.Summary = breakdownRows(rows, q.Interval)
	return nil
}

func (s *Service) contacts(ctx context.Context, q usher.ReportQuery, res *Result) error {
	rows, err := s.store.ReportContacts(ctx, q)
	if err != nil {
		return err
	}
	rows = fill(q, rows, func(r usher.ContactsRow) time.Time { return r.Period },
		func(p time.Time) usher.ContactsRow { return usher.ContactsRow{Period: p} })
	res.Rows = contactsRows(rows, q.Interval)
	return nil
}

// HealthWindow is how far back the health page counts received documents.
const HealthWindow = 24 * time.Hour

// Health reports each stream of institution: its last push and the
// documents it delivered in the last HealthWindow.
func (s *Service) Health(ctx context.Context, institution string) ([]usher.StreamHealth, error) {
	return s.store.IngestHealth(ctx, institution, s.now().Add(-HealthWindow))
}
