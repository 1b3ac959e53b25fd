package centaman

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/usher-hub/usher"
)

// TimedTicketType is one session of an event (a dated time slot) with its
// capacity. Note Centaman's casing: "vacancy" and "Bookingfee".
type TimedTicketType struct {
	TimedTicketTypeID          int64  `json:"TimedTicketTypeId"`
	BookingTypeID              int64  `json:"BookingTypeId"`
	BookingTypeDescription     string `json:"BookingTypeDescription"`
	TimedTicketTypeDescription string `json:"TimedTicketTypeDescription"`
	StartDate                  string `json:"StartDate"`
	StartTime                  string `json:"StartTime"`
	EndTime                    string `json:"EndTime"`
	Capacity                   int    `json:"Capacity"`
	Vacancy                    int    `json:"vacancy"`
	Bookingfee                 Amount `json:"Bookingfee"`
	BookingFeeItemCode         int64  `json:"BookingFeeItemCode"`
	Cancelled                  bool   `json:"Cancelled"`
	IsBookedExclusively        bool   `json:"IsBookedExclusively"`
	// Raw is the document exactly as Centaman sent it.
	Raw json.RawMessage `json:"-"`
}

// Date returns the session's day, YYYY-MM-DD.
func (t TimedTicketType) Date() string {
	if len(t.StartDate) >= 10 {
		return t.StartDate[:10]
	}
	return t.StartDate
}

// SoldOut reports whether no ticket can be sold, by the rule public
// clients use (vacancy <= 0 or booked exclusively), or cancelled.
func (t TimedTicketType) SoldOut() bool {
	return t.Vacancy <= 0 || t.IsBookedExclusively || t.Cancelled
}

// TimedTicket is one price line (adult, child …) of a session.
type TimedTicket struct {
	TicketID          int64   `json:"TicketId"`
	TicketDescription string  `json:"TicketDescription"`
	TicketPrice       Amount  `json:"TicketPrice"`
	TicketBookingFee  Amount  `json:"TicketBookingFee"`
	TicketFeeItemID   int64   `json:"TicketFeeItemId"`
	DepositPercentage float64 `json:"DepositPercentage"`
	IsTaxInclusive    bool    `json:"IsTaxInclusive"`
	TaxPercentage     float64 `json:"TaxPercentage"`
}

// HoldLine asks Centaman to hold (or release) tickets of one price line.
type HoldLine struct {
	TimedTicketTypeID int64 `json:"TimedTicketTypeId"`
	TimedTicketID     int64 `json:"TimedTicketId"`
	NumberOfTickets   int   `json:"NumberOfTickets"`
}

// Address is a booking contact's or member's address.
type Address struct {
	Street1     string `json:"Street1,omitempty"`
	Street2     string `json:"Street2,omitempty"`
	Suburb      string `json:"Suburb,omitempty"`
	City        string `json:"City,omitempty"`
	State       string `json:"State,omitempty"`
	Postalcode  string `json:"Postalcode,omitempty"`
	Postcode    string `json:"Postcode,omitempty"`
	Country     string `json:"Country,omitempty"`
	HomePhone   string `json:"HomePhone,omitempty"`
	WorkPhone   string `json:"WorkPhone,omitempty"`
	MobilePhone string `json:"MobilePhone,omitempty"`
}

// Contact is a booking contact (POST ticket_services/TimedTicket).
type Contact struct {
	MemberCode int64    `json:"MemberCode,omitempty"`
	FirstName  string   `json:"FirstName"`
	LastName   string   `json:"LastName"`
	Email      string   `json:"Email"`
	Address    *Address `json:"Address,omitempty"`
}

// Field limits Centaman enforces on booking contacts, per public clients.
const (
	MaxNameLength  = 30
	MaxEmailLength = 60
)

// Item is one line of a transaction; Barcode is filled in the answer.
type Item struct {
	ItemDescription string  `json:"ItemDescription"`
	ItemCode        int64   `json:"ItemCode"`
	Quantity        int     `json:"Quantity"`
	TaxPaid         Amount  `json:"TaxPaid"`
	ItemCost        Amount  `json:"ItemCost"`
	TotalPaid       Amount  `json:"TotalPaid"`
	IsExtraItem     bool    `json:"IsExtraItem"`
	Barcode         *string `json:"Barcode"`
}

// Transaction records a sale (POST ticket_services/TimedTicketTransaction).
type Transaction struct {
	TimedTicketTypeID          int64  `json:"TimedTicketTypeId"`
	TimedTicketTypeDescription string `json:"TimedTicketTypeDescription"`
	BookingTypeID              int64  `json:"BookingTypeId"`
	StartDate                  string `json:"StartDate"`
	StartTime                  string `json:"StartTime"`
	EndTime                    string `json:"EndTime"`
	PaymentReference           string `json:"PaymentReference"`
	TransactionDate            string `json:"TransactionDate"`
	BookingContactID           int64  `json:"BookingContactID"`
	BookingContactName         string `json:"BookingContactName"`
	TotalTickets               int    `json:"TotalTickets"`
	TaxPaid                    Amount `json:"TaxPaid"`
	BookingCost                Amount `json:"BookingCost"`
	TotalPaid                  Amount `json:"TotalPaid"`
	Item                       []Item `json:"Item"`
	// ReceiptNo, BookingID and BalanceAmount are null in a request and
	// filled in the answer.
	ReceiptNo     *FlexString `json:"ReceiptNo"`
	BookingID     *int64      `json:"BookingId"`
	BalanceAmount *Amount     `json:"BalanceAmount"`
}

// Booking is a recorded transaction as Centaman answers it.
type Booking struct {
	Transaction
	// Raw is the document exactly as Centaman sent it.
	Raw json.RawMessage `json:"-"`
}

// FlexString decodes a JSON string or number as a string: clients of
// Centaman read ReceiptNo both ways.
type FlexString string

// UnmarshalJSON accepts "123" and 123.
func (f *FlexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = FlexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("expected a string or a number, got %s", b)
	}
	*f = FlexString(n.String())
	return nil
}

// dateLayouts are the forms Centaman dates come in: .NET round-trip
// DateTimes with or without an offset, and plain dates.
var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05", "2006-01-02"}

// ParseDate parses a Centaman date or DateTime.
func ParseDate(s string) (time.Time, bool) {
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// TimedTicketTypes lists every session between two days (YYYY-MM-DD),
// across booking types.
func (c *Client) TimedTicketTypes(ctx context.Context, from, to string) ([]TimedTicketType, error) {
	q := url.Values{"StartDate": {from}, "EndDate": {to}}
	var raw []json.RawMessage
	if err := c.do(ctx, http.MethodGet, "ticket_services/TimedTicketType", q, nil, &raw); err != nil {
		return nil, err
	}
	return decodeSessions(raw)
}

// Availability returns one session as it is now, vacancy included.
func (c *Client) Availability(ctx context.Context, timedTicketTypeID int64, day string) (TimedTicketType, error) {
	q := url.Values{"TimedTicketTypeId": {strconv.FormatInt(timedTicketTypeID, 10)}, "StartDate": {day}}
	var data json.RawMessage
	if err := c.do(ctx, http.MethodGet, "ticket_services/TimedTicketType", q, nil, &data); err != nil {
		return TimedTicketType{}, err
	}
	raw, err := listOrOne(data)
	if err != nil {
		return TimedTicketType{}, unreachable(http.MethodGet, "ticket_services/TimedTicketType", err)
	}
	sessions, err := decodeSessions(raw)
	if err != nil {
		return TimedTicketType{}, err
	}
	for _, s := range sessions {
		if s.TimedTicketTypeID == timedTicketTypeID {
			return s, nil
		}
	}
	return TimedTicketType{}, usher.Errorf(usher.ENOTFOUND, "Centaman has no session %d on %s", timedTicketTypeID, day)
}

func decodeSessions(raw []json.RawMessage) ([]TimedTicketType, error) {
	out, err := decodeList(raw, func(t *TimedTicketType, r json.RawMessage) { t.Raw = r })
	if err != nil {
		return nil, unreachable(http.MethodGet, "ticket_services/TimedTicketType", err)
	}
	return out, nil
}

// TimedTickets returns a session's price list, both as sent (to store)
// and decoded.
func (c *Client) TimedTickets(ctx context.Context, timedTicketTypeID int64) (json.RawMessage, []TimedTicket, error) {
	q := url.Values{"TimedTicketTypeId": {strconv.FormatInt(timedTicketTypeID, 10)}}
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, "ticket_services/TimedTicket", q, nil, &raw); err != nil {
		return nil, nil, err
	}
	var prices []TimedTicket
	if err := json.Unmarshal(raw, &prices); err != nil {
		return nil, nil, unreachable(http.MethodGet, "ticket_services/TimedTicket", err)
	}
	return raw, prices, nil
}

// Reserve holds tickets temporarily so no other sale takes them. Centaman
// answers true, or false when the spots are not there.
func (c *Client) Reserve(ctx context.Context, lines []HoldLine) error {
	return c.hold(ctx, lines, nil, "Centaman has not enough vacancy for this hold")
}

// Release gives held tickets back before their hold expires.
func (c *Client) Release(ctx context.Context, lines []HoldLine) error {
	return c.hold(ctx, lines, url.Values{"Releaseflag": {"1"}}, "Centaman did not release the held tickets")
}

func (c *Client) hold(ctx context.Context, lines []HoldLine, q url.Values, refusal string) error {
	var ok bool
	if err := c.do(ctx, http.MethodPost, "ticket_services/TimedTicketType", q, lines, &ok); err != nil {
		return err
	}
	if !ok {
		return usher.Errorf(usher.ECONFLICT, "%s", refusal)
	}
	return nil
}

// CreateBookingContact creates the contact a transaction is booked for and
// returns it with its MemberCode. Names and e-mail are cut to the lengths
// Centaman accepts.
func (c *Client) CreateBookingContact(ctx context.Context, contact Contact) (Contact, error) {
	contact.FirstName = truncate(contact.FirstName, MaxNameLength)
	contact.LastName = truncate(contact.LastName, MaxNameLength)
	contact.Email = truncate(contact.Email, MaxEmailLength)
	var out Contact
	err := c.do(ctx, http.MethodPost, "ticket_services/TimedTicket", nil, contact, &out)
	return out, err
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// CreateTransaction records a sale. Centaman takes and answers an array;
// usher sends one transaction at a time.
func (c *Client) CreateTransaction(ctx context.Context, t Transaction) ([]Booking, error) {
	var raw []json.RawMessage
	if err := c.do(ctx, http.MethodPost, "ticket_services/TimedTicketTransaction", nil, []Transaction{t}, &raw); err != nil {
		return nil, err
	}
	return decodeBookings(raw)
}

func decodeBookings(raw []json.RawMessage) ([]Booking, error) {
	out, err := decodeList(raw, func(b *Booking, r json.RawMessage) { b.Raw = r })
	if err != nil {
		return nil, unreachable(http.MethodPost, "ticket_services/TimedTicketTransaction", err)
	}
	return out, nil
}
