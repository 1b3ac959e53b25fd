package centaman

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/usher-hub/usher"
)

// Member is a Centaman member record. JoinDate and ExpiryDate live on its
// Memberships, not on the member.
type Member struct {
	MemberCode      int64        `json:"MemberCode"`
	MemberNumber    int64        `json:"MemberNumber"`
	Title           string       `json:"Title,omitempty"`
	FirstName       string       `json:"FirstName"`
	LastName        string       `json:"LastName"`
	Email           string       `json:"Email"`
	Gender          string       `json:"Gender,omitempty"`
	DateOfBirth     string       `json:"DateOfBirth,omitempty"`
	HomeAddress     *Address     `json:"HomeAddress,omitempty"`
	IsPrimary       bool         `json:"IsPrimary"`
	PrimaryMemberID int64        `json:"PrimaryMemberId"`
	Memberships     []Membership `json:"Memberships,omitempty"`
	// Raw is the document exactly as Centaman sent it.
	Raw json.RawMessage `json:"-"`
}

// Membership is one membership of a member. Linkfield identifies it in
// PUT member_services/Membership/{Linkfield}.
type Membership struct {
	Linkfield               string `json:"Linkfield,omitempty"`
	TypeName                string `json:"TypeName,omitempty"`
	Cancelled               bool   `json:"Cancelled"`
	Activated               bool   `json:"Activated"`
	MemberCode              int64  `json:"MemberCode"`
	TypeCode                int64  `json:"TypeCode"`
	Cost                    Amount `json:"Cost"`
	Tax                     Amount `json:"Tax"`
	Paid                    Amount `json:"Paid"`
	JoinDate                string `json:"JoinDate,omitempty"`
	ExpiryDate              string `json:"ExpiryDate,omitempty"`
	IsGift                  bool   `json:"IsGift"`
	PurchaserRenewal        bool   `json:"PurchaserRenewal"`
	PackageID               string `json:"PackageID,omitempty"`
	PaymentGatewayReference string `json:"PaymentGatewayReference,omitempty"`
}

// CurrentAt reports whether the membership gives member rights at t:
// activated, not cancelled and not past its expiry day.
func (m Membership) CurrentAt(t time.Time) bool {
	if m.Cancelled || !m.Activated {
		return false
	}
	expiry, ok := ParseDate(m.ExpiryDate)
	if !ok {
		return false
	}
	return !t.After(expiry.Add(24*time.Hour - time.Nanosecond))
}

// MembershipType is a membership or package sold online.
type MembershipType struct {
	MembershipCode        int64   `json:"MembershipCode"`
	MembershipDescription string  `json:"MembershipDescription"`
	MembershipClass       string  `json:"MembershipClass"`
	DepartmentDescription string  `json:"DepartmentDescription"`
	Cost                  Amount  `json:"Cost"`
	SalePrice             Amount  `json:"SalePrice"`
	IsPriceTaxInclusive   bool    `json:"IsPriceTaxInclusive"`
	TaxPercentage         float64 `json:"TaxPercentage"`
	IsMemberShipPackage   bool    `json:"IsMemberShipPackage"`
	SortSequenceNumber    int     `json:"SortSequenceNumber"`
	// Raw is the document exactly as Centaman sent it.
	Raw json.RawMessage `json:"-"`
}

// Price is what the type sells for online: SalePrice when set, else Cost.
func (t MembershipType) Price() Amount {
	if t.SalePrice > 0 {
		return t.SalePrice
	}
	return t.Cost
}

// MembersByEmail finds members by e-mail address; none is an empty list.
func (c *Client) MembersByEmail(ctx context.Context, email string) ([]Member, error) {
	members, err := c.members(ctx, "member_services/Member", url.Values{"email": {email}})
	if usher.ErrorCode(err) == usher.ENOTFOUND {
		return nil, nil
	}
	return members, err
}

// Member returns a primary member and its secondary members.
func (c *Client) Member(ctx context.Context, memberCode int64) ([]Member, error) {
	return c.members(ctx, "member_services/Member/"+strconv.FormatInt(memberCode, 10), nil)
}

func (c *Client) members(ctx context.Context, path string, q url.Values) ([]Member, error) {
	var data json.RawMessage
	if err := c.do(ctx, http.MethodGet, path, q, nil, &data); err != nil {
		return nil, err
	}
	return decodeMembers(data, http.MethodGet, path)
}

func decodeMembers(data json.RawMessage, method, path string) ([]Member, error) {
	raw, err := listOrOne(data)
	if err != nil {
		return nil, unreachable(method, path, err)
	}
	out, err := decodeList(raw, func(m *Member, r json.RawMessage) { m.Raw = r })
	if err != nil {
		return nil, unreachable(method, path, err)
	}
	return out, nil
}

// CreateMembers creates a primary member (and secondaries) and returns
// them with their MemberCodes.
func (c *Client) CreateMembers(ctx context.Context, members []Member) ([]Member, error) {
	var data json.RawMessage
	if err := c.do(ctx, http.MethodPost, "member_services/Member", nil, members, &data); err != nil {
		return nil, err
	}
	return decodeMembers(data, http.MethodPost, "member_services/Member")
}

// MembershipTypes lists the memberships and packages sold online.
func (c *Client) MembershipTypes(ctx context.Context) ([]MembershipType, error) {
	var raw []json.RawMessage
	if err := c.do(ctx, http.MethodGet, "member_services/MembershipType", nil, nil, &raw); err != nil {
		return nil, err
	}
	out, err := decodeList(raw, func(t *MembershipType, r json.RawMessage) { t.Raw = r })
	if err != nil {
		return nil, unreachable(http.MethodGet, "member_services/MembershipType", err)
	}
	return out, nil
}

// CreateMemberships records memberships and their payment. isNew is true
// for a first membership, false for a renewal or change.
func (c *Client) CreateMemberships(ctx context.Context, isNew bool, ms []Membership) ([]Membership, error) {
	q := url.Values{"isNew": {strconv.FormatBool(isNew)}, "extendNewRenewals": {"false"}}
	var out []Membership
	err := c.do(ctx, http.MethodPost, "member_services/Membership", q, ms, &out)
	return out, err
}

// UpdateMembership changes a membership; Centaman only accepts changes to
// ExpiryDate, JoinDate, Cancelled and Activated.
func (c *Client) UpdateMembership(ctx context.Context, linkfield string, m Membership) error {
	return c.do(ctx, http.MethodPut, "member_services/Membership/"+url.PathEscape(linkfield), nil, m, nil)
}

// Diagnostics calls the one endpoint that needs no credentials: it tells
// whether Centaman answers at all.
func (c *Client) Diagnostics(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "member_services/Diagnostics", nil, nil, nil)
}
