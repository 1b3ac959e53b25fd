package site

import (
	"context"

	"github.com/usher-hub/usher/internal/upstream/centaman"
)

// Offer is what a session sells now: its ticket prices and extras, at the
// member's prices for a signed-in member with a current membership.
type Offer struct {
	EventID     int64        `json:"event_id"`
	MemberPrice bool         `json:"member_price"`
	Prices      []Price      `json:"prices"`
	Extras      []ExtraPrice `json:"extras"`
}

// ExtraPrice is an add-on of a session.
type ExtraPrice struct {
	ExtraID      int64           `json:"extra_id"`
	Description  string          `json:"description"`
	Price        centaman.Amount `json:"price"`
	TaxInclusive bool            `json:"tax_inclusive"`
	TaxPercent   float64         `json:"tax_percent"`
}

// GeneralTicketView is a general-entry ticket sold online.
type GeneralTicketView struct {
	TicketID    int64           `json:"ticket_id"`
	Description string          `json:"description"`
	Department  string          `json:"department"`
	Price       centaman.Amount `json:"price"`
	MinQuantity int             `json:"min_quantity"`
	MaxQuantity int             `json:"max_quantity"`
}

// Offer reads a session's prices and extras from Centaman now.
func (s *Service) Offer(ctx context.Context, institution, token string, eventID int64) (Offer, error) {
	v, err := s.venue(institution)
	if err != nil {
		return Offer{}, err
	}
	b, err := s.buyer(ctx, v, token)
	if err != nil {
		return Offer{}, err
	}
	_, prices, err := s.sessionFromCopy(ctx, institution, eventID)
	if err != nil {
		return Offer{}, err
	}
	if b.rate > 0 {
		prices, err = v.Client.TimedTicketsAt(ctx, eventID, b.rate)
		if err = s.upstreamErr(ctx, v, err, "reading member prices"); err != nil {
			return Offer{}, err
		}
	}
	extras, err := v.Client.Extras(ctx, eventID, b.rate)
	if err = s.upstreamErr(ctx, v, err, "reading extras"); err != nil {
		return Offer{}, err
	}
	out := Offer{EventID: eventID, MemberPrice: b.rate > 0, Prices: []Price{}, Extras: []ExtraPrice{}}
	for _, p := range prices {
		out.Prices = append(out.Prices, Price{TicketID: p.TicketID, Description: p.TicketDescription, Price: p.TicketPrice,
			BookingFee: p.TicketBookingFee, TaxInclusive: p.IsTaxInclusive, TaxPercent: p.TaxPercentage})
	}
	for _, e := range extras {
		out.Extras = append(out.Extras, ExtraPrice{ExtraID: e.ExtraID, Description: e.ExtraDescription, Price: e.ExtraPrice,
			TaxInclusive: e.IsTaxInclusive, TaxPercent: e.TaxPercentage})
	}
	return out, nil
}

// GeneralTickets lists the general-entry tickets sold online, read from
// Centaman now.
func (s *Service) GeneralTickets(ctx context.Context, institution string) ([]GeneralTicketView, error) {
	v, err := s.venue(institution)
	if err != nil {
		return nil, err
	}
	tickets, err := v.Client.GeneralTickets(ctx)
	if err = s.upstreamErr(ctx, v, err, "reading general-entry tickets"); err != nil {
		return nil, err
	}
	out := []GeneralTicketView{}
	for _, g := range tickets {
		if g.Sellable() {
			out = append(out, GeneralTicketView{TicketID: g.TicketID, Description: g.TicketDescription, Department: g.DepartmentName,
				Price: g.Price(), MinQuantity: g.TicketMinimumQuantity, MaxQuantity: g.TicketMaximumQuantity})
		}
	}
	return out, nil
}
