package site

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/upstream/centaman"
)

// Event is a session as the website shows it.
type Event struct {
	ID            int64   `json:"id"`
	BookingTypeID int64   `json:"booking_type_id"`
	Name          string  `json:"name"`
	Description   string  `json:"description"`
	Date          string  `json:"date"`
	Start         string  `json:"start"`
	End           string  `json:"end"`
	Capacity      int     `json:"capacity"`
	Vacancy       int     `json:"vacancy"`
	SoldOut       bool    `json:"sold_out"`
	Prices        []Price `json:"prices"`
}

// Price is one ticket kind of a session.
type Price struct {
	TicketID     int64           `json:"ticket_id"`
	Description  string          `json:"description"`
	Price        centaman.Amount `json:"price"`
	BookingFee   centaman.Amount `json:"booking_fee"`
	TaxInclusive bool            `json:"tax_inclusive"`
	TaxPercent   float64         `json:"tax_percent"`
}

// Freshness says how old the data behind an answer is.
type Freshness struct {
	// Source is "copy" (usher's local copy) or "centaman" (read just now).
	Source string `json:"source"`
	// SyncedAt is when the copy was last refreshed; nil if never.
	SyncedAt   *time.Time   `json:"synced_at"`
	AgeSeconds *int64       `json:"age_seconds"`
	Upstream   Reachability `json:"upstream"`
}

// Events is the answer of GET …/events.
type Events struct {
	Institution string    `json:"institution"`
	Date        string    `json:"date"`
	Freshness   Freshness `json:"freshness"`
	Events      []Event   `json:"events"`
}

// Events lists a day's sessions from the local copy: no call to Centaman,
// so it works, and says how old it is, while Centaman is unreachable.
func (s *Service) Events(ctx context.Context, institution, day string) (Events, error) {
	v, err := s.venue(institution)
	if err != nil {
		return Events{}, err
	}
	if err := checkDay(day); err != nil {
		return Events{}, err
	}
	docs, err := s.store.SiteEvents(ctx, institution, day)
	if err != nil {
		return Events{}, err
	}
	fresh, err := s.copyFreshness(ctx, v, usher.StreamCentamanTimedTicketType)
	if err != nil {
		return Events{}, err
	}
	out := Events{Institution: institution, Date: day, Freshness: fresh, Events: make([]Event, 0, len(docs))}
	for _, d := range docs {
		e, err := eventFromCopy(d)
		if err != nil {
			s.logger.ErrorContext(ctx, "unreadable session in the copy", "institution", institution, "id", d.Session.ExternalID, "err", err)
			continue
		}
		out.Events = append(out.Events, e)
	}
	return out, nil
}

// UpstreamEvents builds the same answer by asking Centaman for the day's
// sessions and each one's prices (1 + N calls), bypassing the copy. It
// exists for diagnosis (?source=centaman) and to measure what the copy
// saves.
func (s *Service) UpstreamEvents(ctx context.Context, institution, day string) (Events, error) {
	v, err := s.venue(institution)
	if err != nil {
		return Events{}, err
	}
	if err := checkDay(day); err != nil {
		return Events{}, err
	}
	sessions, err := v.Client.TimedTicketTypes(ctx, day, day)
	if err = s.upstreamErr(ctx, v, err, "reading sessions from Centaman"); err != nil {
		return Events{}, err
	}
	now := s.now()
	zero := int64(0)
	out := Events{Institution: institution, Date: day, Events: make([]Event, 0, len(sessions)),
		Freshness: Freshness{Source: "centaman", SyncedAt: &now, AgeSeconds: &zero, Upstream: v.reachability()}}
	for _, t := range sessions {
		_, prices, err := v.Client.TimedTickets(ctx, t.TimedTicketTypeID)
		if err = s.upstreamErr(ctx, v, err, "reading prices from Centaman"); err != nil {
			return Events{}, err
		}
		out.Events = append(out.Events, toEvent(t, prices))
	}
	return out, nil
}

func checkDay(day string) error {
	if _, err := time.Parse("2006-01-02", day); err != nil {
		return usher.Errorf(usher.EINVALID, "date %q must be a day as YYYY-MM-DD", day)
	}
	return nil
}

func (s *Service) copyFreshness(ctx context.Context, v *venue, stream usher.Stream) (Freshness, error) {
	f := Freshness{Source: "copy", Upstream: v.reachability()}
	recs, err := s.store.SyncRecords(ctx, v.Code)
	if err != nil {
		return f, err
	}
	for _, r := range recs {
		if r.Stream == stream && !r.LastSuccessAt.IsZero() {
			at := r.LastSuccessAt
			age := int64(math.Max(0, s.now().Sub(at).Seconds()))
			f.SyncedAt, f.AgeSeconds = &at, &age
		}
	}
	return f, nil
}

func eventFromCopy(d usher.EventDocuments) (Event, error) {
	var t centaman.TimedTicketType
	if err := json.Unmarshal(d.Session.Raw, &t); err != nil {
		return Event{}, err
	}
	var prices []centaman.TimedTicket
	if d.Prices != nil {
		if err := json.Unmarshal(d.Prices.Raw, &prices); err != nil {
			return Event{}, err
		}
	}
	return toEvent(t, prices), nil
}

func toEvent(t centaman.TimedTicketType, prices []centaman.TimedTicket) Event {
	e := Event{ID: t.TimedTicketTypeID, BookingTypeID: t.BookingTypeID, Name: t.BookingTypeDescription,
		Description: t.TimedTicketTypeDescription, Date: t.Date(), Start: t.StartTime, End: t.EndTime,
		Capacity: t.Capacity, Vacancy: max(t.Vacancy, 0), SoldOut: t.SoldOut(), Prices: make([]Price, 0, len(prices))}
	for _, p := range prices {
		e.Prices = append(e.Prices, Price{TicketID: p.TicketID, Description: p.TicketDescription, Price: p.TicketPrice,
			BookingFee: p.TicketBookingFee, TaxInclusive: p.IsTaxInclusive, TaxPercent: p.TaxPercentage})
	}
	return e
}

// StreamStatus is the state of one stream of the copy.
type StreamStatus struct {
	Stream        usher.Stream `json:"stream"`
	LastSuccessAt *time.Time   `json:"last_success_at"`
	LastAttemptAt time.Time    `json:"last_attempt_at"`
	AgeSeconds    *int64       `json:"age_seconds"`
	LastError     string       `json:"last_error,omitempty"`
	Documents     int          `json:"documents"`
}

// Status is the answer of GET …/status: how fresh the copy is and
// whether Centaman answers.
type Status struct {
	Institution string         `json:"institution"`
	Venue       string         `json:"venue"`
	Upstream    Reachability   `json:"upstream"`
	Streams     []StreamStatus `json:"streams"`
}

// Status reports the copy's freshness per stream and Centaman's reachability.
func (s *Service) Status(ctx context.Context, institution string) (Status, error) {
	v, err := s.venue(institution)
	if err != nil {
		return Status{}, err
	}
	recs, err := s.store.SyncRecords(ctx, institution)
	if err != nil {
		return Status{}, err
	}
	out := Status{Institution: institution, Venue: v.Name, Upstream: v.reachability(), Streams: []StreamStatus{}}
	for _, r := range recs {
		st := StreamStatus{Stream: r.Stream, LastAttemptAt: r.LastAttemptAt, LastError: r.LastError, Documents: r.Documents}
		if !r.LastSuccessAt.IsZero() {
			at := r.LastSuccessAt
			age := int64(math.Max(0, s.now().Sub(at).Seconds()))
			st.LastSuccessAt, st.AgeSeconds = &at, &age
		}
		out.Streams = append(out.Streams, st)
	}
	return out, nil
}
