package site

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/mail"
)

// sendTickets e-mails the tickets of a sale. A failure leaves the
// checkout's e-mail pending for RetryEmails; the sale stands either way.
func (s *Service) sendTickets(ctx context.Context, v *venue, c usher.Checkout, res CheckoutResult) EmailStatus {
	if s.mailer == nil {
		return EmailStatus{To: res.Contact.Email, Status: "disabled"}
	}
	if err := s.mailer.SendTickets(ctx, eticketOf(v.Name, res)); err != nil {
		s.logger.WarnContext(ctx, "e-tickets not sent yet; will retry", "institution", v.Code, "checkout", c.ID, "err", err)
		return EmailStatus{To: res.Contact.Email, Status: "pending"}
	}
	if err := s.store.MarkCheckoutEmailed(ctx, v.Code, c.ID, s.now()); err != nil {
		s.logger.ErrorContext(ctx, "e-tickets sent but not recorded as sent", "checkout", c.ID, "err", err)
	}
	return EmailStatus{To: res.Contact.Email, Status: "sent"}
}

func eticketOf(venue string, res CheckoutResult) mail.ETicket {
	e := mail.ETicket{To: res.Contact.Email, Name: strings.TrimSpace(res.Contact.FirstName + " " + res.Contact.LastName),
		Venue: venue, Event: "General entry", BookingID: res.BookingID, ReceiptNo: res.ReceiptNo, Total: res.TotalPaid.String()}
	if res.Event != nil {
		e.Event, e.Date, e.Start, e.End = res.Event.Name, res.Event.Date, res.Event.Start, res.Event.End
	}
	for _, t := range res.Tickets {
		e.Tickets = append(e.Tickets, mail.Ticket{Barcode: t.Barcode, Description: t.Description})
	}
	for _, t := range res.General {
		e.Tickets = append(e.Tickets, mail.Ticket{Barcode: t.Barcode, Description: t.Description})
	}
	return e
}

// RetryEmails sends the e-tickets of sales whose e-mail failed, and
// returns how many went out.
func (s *Service) RetryEmails(ctx context.Context) (int, error) {
	if s.mailer == nil {
		return 0, nil
	}
	waiting, err := s.store.CheckoutsAwaitingEmail(ctx, 50)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, c := range waiting {
		v, ok := s.venues[c.Institution]
		if !ok {
			continue
		}
		var res CheckoutResult
		if err := json.Unmarshal(c.Result, &res); err != nil {
			s.logger.ErrorContext(ctx, "stored checkout result unreadable", "checkout", c.ID, "err", err)
			continue
		}
		if s.sendTickets(ctx, v, c, res).Status == "sent" {
			sent++
		}
	}
	return sent, nil
}
