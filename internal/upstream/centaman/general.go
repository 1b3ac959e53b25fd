package centaman

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/usher-hub/usher"
)

// Extra is an add-on sold with a timed session (lunch, audio guide):
// GET ticket_services/TimedTicketExtra?TimedTicketTypeId=&CostRateId=
// [CTM-EXTRA]. It is sold as a transaction item with IsExtraItem true and
// ItemCode = ExtraId [ZAO, copying the help page].
type Extra struct {
	ExtraID           int64   `json:"ExtraId"`
	ExtraDescription  string  `json:"ExtraDescription"`
	ExtraPrice        Amount  `json:"ExtraPrice"`
	DepositPercentage float64 `json:"DepositPercentage"`
	IsTaxInclusive    bool    `json:"IsTaxInclusive"`
	TaxPercentage     float64 `json:"TaxPercentage"`
}

// GeneralTicket is a general-entry (untimed) ticket: GET
// ticket_services/Ticket [CTM-OMAHA-TS]. Only tickets with ShowTicket are
// for sale online, and those with CouponRequired need a coupon usher does
// not take, so neither kind is offered.
type GeneralTicket struct {
	TicketID              int64   `json:"TicketID"`
	TicketDescription     string  `json:"TicketDescription"`
	DepartmentID          int64   `json:"DepartmentID"`
	DepartmentName        string  `json:"DepartmentName"`
	TicketMinimumQuantity int     `json:"TicketMinimumQuantity"`
	TicketMaximumQuantity int     `json:"TicketMaximumQuantity"`
	TicketValidity        int     `json:"TicketValidity"`
	TicketNormalPrice     Amount  `json:"TicketNormalPrice"`
	TicketWebPrice        Amount  `json:"TicketWebPrice"`
	TaxInclusive          bool    `json:"TaxInclusive"`
	TaxPercentage         float64 `json:"TaxPercentage"`
	CouponRequired        bool    `json:"CouponRequired"`
	ShowTicket            bool    `json:"ShowTicket"`
}

// Sellable reports whether the ticket may be offered online.
func (g GeneralTicket) Sellable() bool { return g.ShowTicket && !g.CouponRequired }

// Price is what the ticket sells for online: the web price when set.
func (g GeneralTicket) Price() Amount {
	if g.TicketWebPrice > 0 {
		return g.TicketWebPrice
	}
	return g.TicketNormalPrice
}

// GeneralSale is one line of POST ticket_services/Ticket, the
// general-entry sale with its transaction [CTM-GA]. UserID is the
// booking contact's MemberCode.
type GeneralSale struct {
	ItemDescription  string `json:"ItemDescription"`
	ItemCode         int64  `json:"ItemCode"`
	Quantity         int    `json:"Quantity"`
	PaymentReference string `json:"PaymentReference"`
	ItemCost         Amount `json:"ItemCost"`
	TotalCost        Amount `json:"TotalCost"`
	DepartmentID     int64  `json:"DepartmentID"`
	TransactionDate  string `json:"TransactionDate"`
	UserID           int64  `json:"UserID"`
}

// SoldGeneralTicket is a purchased general-entry ticket as answered
// [GEM general_admission_ticket.rb]; BarCode may hold one code.
type SoldGeneralTicket struct {
	TicketID          int64       `json:"TicketID"`
	Quantity          int         `json:"Quantity"`
	TicketDescription string      `json:"TicketDescription"`
	BarCode           *string     `json:"BarCode"`
	ReceiptNumber     *FlexString `json:"ReceiptNumber"`
	ExpiryDate        string      `json:"ExpiryDate"`
}

// CostRate is a contact's price category: GET
// ticket_services/TimedTicket?FirstName=&LastName=&Email= [GEM
// cost_rate.rb]. Prices asked with CostRateId are that category's, which
// is how member prices reach a website.
type CostRate struct {
	ContactID         int64 `json:"ContactID"`
	ContactCostRateID int64 `json:"ContactCostRateID"`
}

// Credentials are what POST member_services/Authentication takes: a
// member number with a surname, or an e-mail with a password
// [CTM-OMAHA-MS].
type Credentials struct {
	MemberNumber int64  `json:"MemberNumber,omitempty"`
	Surname      string `json:"Surname,omitempty"`
	Email        string `json:"Email,omitempty"`
	Password     string `json:"Password,omitempty"`
}

// Extras lists a session's add-ons at a cost rate (0: the public rate).
func (c *Client) Extras(ctx context.Context, timedTicketTypeID, costRate int64) ([]Extra, error) {
	q := url.Values{"TimedTicketTypeId": {strconv.FormatInt(timedTicketTypeID, 10)}}
	if costRate > 0 {
		q.Set("CostRateId", strconv.FormatInt(costRate, 10))
	}
	var out []Extra
	err := c.do(ctx, http.MethodGet, "ticket_services/TimedTicketExtra", q, nil, &out)
	if usher.ErrorCode(err) == usher.ENOTFOUND {
		return nil, nil
	}
	return out, err
}

// TimedTicketsAt returns a session's price list at a cost rate.
func (c *Client) TimedTicketsAt(ctx context.Context, timedTicketTypeID, costRate int64) ([]TimedTicket, error) {
	q := url.Values{"TimedTicketTypeId": {strconv.FormatInt(timedTicketTypeID, 10)}, "CostRateId": {strconv.FormatInt(costRate, 10)}}
	var out []TimedTicket
	err := c.do(ctx, http.MethodGet, "ticket_services/TimedTicket", q, nil, &out)
	return out, err
}

// GeneralTickets lists the general-entry tickets.
func (c *Client) GeneralTickets(ctx context.Context) ([]GeneralTicket, error) {
	var out []GeneralTicket
	err := c.do(ctx, http.MethodGet, "ticket_services/Ticket", nil, nil, &out)
	return out, err
}

// SellGeneral records a general-entry sale and its transaction.
func (c *Client) SellGeneral(ctx context.Context, lines []GeneralSale) ([]SoldGeneralTicket, error) {
	var data json.RawMessage
	if err := c.do(ctx, http.MethodPost, "ticket_services/Ticket", nil, lines, &data); err != nil {
		return nil, err
	}
	raw, err := listOrOne(data)
	if err != nil {
		return nil, unreachable(http.MethodPost, "ticket_services/Ticket", err)
	}
	out, err := decodeList(raw, func(*SoldGeneralTicket, json.RawMessage) {})
	if err != nil {
		return nil, unreachable(http.MethodPost, "ticket_services/Ticket", err)
	}
	return out, nil
}

// ContactCostRate looks up the cost rate of a contact by name and e-mail;
// ENOTFOUND when Centaman knows no such contact.
func (c *Client) ContactCostRate(ctx context.Context, firstName, lastName, email string) (CostRate, error) {
	q := url.Values{"FirstName": {truncate(firstName, MaxNameLength)}, "LastName": {truncate(lastName, MaxNameLength)},
		"Email": {truncate(email, MaxEmailLength)}}
	var data json.RawMessage
	if err := c.do(ctx, http.MethodGet, "ticket_services/TimedTicket", q, nil, &data); err != nil {
		return CostRate{}, err
	}
	raw, err := listOrOne(data)
	if err != nil || len(raw) == 0 {
		return CostRate{}, usher.Errorf(usher.ENOTFOUND, "Centaman has no contact %s %s", firstName, lastName)
	}
	var cr CostRate
	if err := json.Unmarshal(raw[0], &cr); err != nil {
		return CostRate{}, unreachable(http.MethodGet, "ticket_services/TimedTicket", err)
	}
	return cr, nil
}

// Authenticate signs a member in with Centaman's member authentication.
// Centaman answers Not Found ("No member matches") or Not Acceptable
// ("Authentication denied") for wrong credentials; both are
// EUNAUTHORIZED here, with one message, so an answer does not tell which
// part was wrong.
func (c *Client) Authenticate(ctx context.Context, cr Credentials) ([]Member, error) {
	cr.Surname, cr.Email = strings.TrimSpace(cr.Surname), strings.TrimSpace(cr.Email)
	var data json.RawMessage
	err := c.do(ctx, http.MethodPost, "member_services/Authentication", nil, cr, &data)
	var apiErr *APIError
	if asAPIError(err, &apiErr) && (apiErr.Status == http.StatusNotFound || apiErr.Status == http.StatusNotAcceptable) {
		return nil, &usher.Error{Code: usher.EUNAUTHORIZED, Err: err,
			Message: "these details do not match a member: check the member number and surname, or the e-mail and password"}
	}
	if err != nil {
		return nil, err
	}
	return decodeMembers(data, http.MethodPost, "member_services/Authentication")
}
