package centaman

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

type member struct {
	MemberCode   int64
	MemberNumber int64
	FirstName    string
	LastName     string
	Email        string
	// Password is echoed in member records, as Centaman's Authentication
	// sample shows: "" unless the member was created with one.
	Password        string
	IsPrimary       bool
	PrimaryMemberID int64
	Memberships     []*membership
}

type membership struct {
	Linkfield               string
	TypeName                string
	TypeCode                int64
	MemberCode              int64
	Cancelled               bool
	Activated               bool
	Cost, Tax, Paid         float64
	JoinDate, ExpiryDate    time.Time
	PaymentGatewayReference string
}

type membershipType struct {
	Code        int64
	Description string
	Class       string
	Cost        float64
	Sort        int
}

const dateTimeLayout = "2006-01-02T15:04:05"

func (m *member) currentAt(t time.Time) bool {
	for _, ms := range m.Memberships {
		if !ms.Cancelled && ms.Activated && !t.After(ms.ExpiryDate.Add(24*time.Hour-time.Nanosecond)) {
			return true
		}
	}
	return false
}

// familyCurrentLocked reports whether a member has member rights: its
// own membership, or for a secondary member its primary's.
func (s *Sim) familyCurrentLocked(m *member, t time.Time) bool {
	if m.currentAt(t) {
		return true
	}
	if p, ok := s.members[m.PrimaryMemberID]; ok && !m.IsPrimary {
		return p.currentAt(t)
	}
	return false
}

func (m *member) json() map[string]any {
	ms := []map[string]any{}
	for _, x := range m.Memberships {
		ms = append(ms, x.json())
	}
	return map[string]any{
		"MemberCode": m.MemberCode, "MemberNumber": m.MemberNumber, "Title": "",
		"FirstName": m.FirstName, "LastName": m.LastName, "Email": m.Email, "Password": m.Password, "Gender": "",
		"IsPrimary": m.IsPrimary, "PrimaryMemberId": m.PrimaryMemberID, "Memberships": ms,
		"HomeAddress": map[string]any{"Street1": "", "Suburb": "", "City": "Sydney", "State": "NSW", "Postcode": "2000", "Country": "Australia"},
	}
}

func (ms *membership) json() map[string]any {
	return map[string]any{
		"Linkfield": ms.Linkfield, "TypeName": ms.TypeName, "Cancelled": ms.Cancelled, "Activated": ms.Activated,
		"UniquePackageId": "", "MemberCode": ms.MemberCode, "TypeCode": ms.TypeCode,
		"Cost": ms.Cost, "Tax": ms.Tax, "Paid": ms.Paid,
		"JoinDate": ms.JoinDate.Format(dateTimeLayout), "ExpiryDate": ms.ExpiryDate.Format(dateTimeLayout),
		"IsGift": false, "PurchaserRenewal": false, "PackageID": "", "PaymentGatewayReference": ms.PaymentGatewayReference,
	}
}

func (s *Sim) newMembershipLocked(memberCode int64, mt membershipType, join, expiry time.Time, ref string) *membership {
	return &membership{Linkfield: "L" + strconv.FormatInt(s.newID(), 10), TypeName: mt.Description, TypeCode: mt.Code,
		MemberCode: memberCode, Activated: true, Cost: mt.Cost, Tax: round2(mt.Cost / 11), Paid: mt.Cost,
		JoinDate: join, ExpiryDate: expiry, PaymentGatewayReference: ref}
}

// membersByEmail serves GET member_services/Member?email=.
func (s *Sim) membersByEmail(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.URL.Query().Get("email"))
	if email == "" {
		writeMessage(w, http.StatusBadRequest, "email is required.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, code := range s.memberOrder {
		if m := s.members[code]; strings.EqualFold(m.Email, email) {
			out = append(out, m.json())
		}
	}
	if len(out) == 0 {
		writeMessage(w, http.StatusNotFound, "No member matches.")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// getMember serves GET member_services/Member/{code}: the primary member
// and its secondaries.
func (s *Sim) getMember(w http.ResponseWriter, r *http.Request) {
	code, _ := strconv.ParseInt(r.PathValue("code"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.members[code]
	if !ok {
		writeMessage(w, http.StatusNotFound, "No member matches.")
		return
	}
	out := []map[string]any{m.json()}
	for _, c := range s.memberOrder {
		if x := s.members[c]; x.PrimaryMemberID == code && !x.IsPrimary {
			out = append(out, x.json())
		}
	}
	writeJSON(w, http.StatusOK, out)
}

type memberRequest struct {
	FirstName       string `json:"FirstName"`
	LastName        string `json:"LastName"`
	Email           string `json:"Email"`
	Password        string `json:"Password"`
	IsPrimary       bool   `json:"IsPrimary"`
	PrimaryMemberID int64  `json:"PrimaryMemberId"`
}

// createMembers serves POST member_services/Member: an array holding a
// primary member and, optionally, secondaries.
func (s *Sim) createMembers(w http.ResponseWriter, r *http.Request) {
	var reqs []memberRequest
	if !decodeBody(w, r, &reqs) {
		return
	}
	if len(reqs) == 0 || !reqs[0].IsPrimary && reqs[0].PrimaryMemberID == 0 {
		writeMessage(w, http.StatusBadRequest, "A primary member is required.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	primary := int64(0)
	for _, req := range reqs {
		if strings.TrimSpace(req.LastName) == "" || strings.TrimSpace(req.Email) == "" && req.IsPrimary {
			writeMessage(w, http.StatusBadRequest, "LastName and, for a primary member, Email are required.")
			return
		}
	}
	for _, req := range reqs {
		m := &member{MemberCode: s.newID(), FirstName: req.FirstName, LastName: req.LastName, Email: req.Email,
			Password: req.Password, IsPrimary: req.IsPrimary}
		m.MemberNumber = 300000 + m.MemberCode
		if m.IsPrimary {
			primary = m.MemberCode
		} else {
			m.PrimaryMemberID = max(req.PrimaryMemberID, primary)
		}
		s.members[m.MemberCode] = m
		s.memberOrder = append(s.memberOrder, m.MemberCode)
		out = append(out, m.json())
	}
	writeJSON(w, http.StatusCreated, out)
}

// listMembershipTypes serves GET member_services/MembershipType.
func (s *Sim) listMembershipTypes(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, mt := range s.membershipTypes {
		out = append(out, map[string]any{
			"MembershipCode": mt.Code, "MembershipDescription": mt.Description, "MembershipClass": mt.Class,
			"DepartmentDescription": "Membership", "Cost": mt.Cost, "SalePrice": mt.Cost,
			"IsPriceTaxInclusive": true, "TaxPercentage": 10.0, "IsMemberShipPackage": false,
			"SortSequenceNumber": mt.Sort, "JoinFeeButtonId": 0, "NodeNo": 0, "PackageOnly": false,
			"IsMembershipAgeBased": false, "MinimumAgeRequired": 0, "MaximumAgeRequirement": 0,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

type membershipRequest struct {
	MemberCode              int64   `json:"MemberCode"`
	TypeCode                int64   `json:"TypeCode"`
	Cost                    float64 `json:"Cost"`
	Tax                     float64 `json:"Tax"`
	Paid                    float64 `json:"Paid"`
	JoinDate                string  `json:"JoinDate"`
	ExpiryDate              string  `json:"ExpiryDate"`
	PaymentGatewayReference string  `json:"PaymentGatewayReference"`
}

// createMemberships serves POST member_services/Membership: memberships
// and their payment, answered 201 Created with the new memberships.
func (s *Sim) createMemberships(w http.ResponseWriter, r *http.Request) {
	var reqs []membershipRequest
	if !decodeBody(w, r, &reqs) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type planned struct {
		m    *member
		mt   membershipType
		j, e time.Time
		req  membershipRequest
	}
	var plan []planned
	for _, req := range reqs {
		m, ok := s.members[req.MemberCode]
		mt, typeOK := s.membershipType(req.TypeCode)
		join, joinOK := parseSimDate(req.JoinDate, s.now())
		expiry, expiryOK := parseSimDate(req.ExpiryDate, join.AddDate(1, 0, 0))
		switch {
		case !ok:
			writeMessage(w, http.StatusBadRequest, fmt.Sprintf("No member matches MemberCode %d.", req.MemberCode))
			return
		case !typeOK:
			writeMessage(w, http.StatusBadRequest, fmt.Sprintf("No membership type matches TypeCode %d.", req.TypeCode))
			return
		case !joinOK || !expiryOK || !expiry.After(join):
			writeMessage(w, http.StatusBadRequest, "JoinDate and ExpiryDate must be dates, the expiry after the join.")
			return
		case len(req.PaymentGatewayReference) > 200:
			writeMessage(w, http.StatusBadRequest, "PaymentGatewayReference may hold at most 200 characters.")
			return
		}
		plan = append(plan, planned{m, mt, join, expiry, req})
	}
	out := []map[string]any{}
	for _, p := range plan {
		ms := s.newMembershipLocked(p.m.MemberCode, p.mt, p.j, p.e, p.req.PaymentGatewayReference)
		ms.Cost, ms.Tax, ms.Paid = p.req.Cost, p.req.Tax, p.req.Paid
		p.m.Memberships = append(p.m.Memberships, ms)
		out = append(out, ms.json())
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Sim) membershipType(code int64) (membershipType, bool) {
	for _, mt := range s.membershipTypes {
		if mt.Code == code {
			return mt, true
		}
	}
	return membershipType{}, false
}

// parseSimDate parses a Centaman date; an empty one takes def.
func parseSimDate(v string, def time.Time) (time.Time, bool) {
	if v == "" {
		return def, true
	}
	for _, layout := range []string{time.RFC3339Nano, dateTimeLayout, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

type membershipUpdate struct {
	Cancelled  *bool  `json:"Cancelled"`
	Activated  *bool  `json:"Activated"`
	JoinDate   string `json:"JoinDate"`
	ExpiryDate string `json:"ExpiryDate"`
}

// updateMembership serves PUT member_services/Membership/{linkfield}:
// only ExpiryDate, JoinDate, Cancelled and Activated change.
func (s *Sim) updateMembership(w http.ResponseWriter, r *http.Request) {
	var u membershipUpdate
	if !decodeBody(w, r, &u) {
		return
	}
	link := r.PathValue("linkfield")
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := s.findMembershipLocked(link)
	if ms == nil {
		writeMessage(w, http.StatusNotFound, "No membership matches "+link+".")
		return
	}
	join, joinOK := parseSimDate(u.JoinDate, ms.JoinDate)
	expiry, expiryOK := parseSimDate(u.ExpiryDate, ms.ExpiryDate)
	if !joinOK || !expiryOK {
		writeMessage(w, http.StatusBadRequest, "JoinDate and ExpiryDate must be dates.")
		return
	}
	ms.JoinDate, ms.ExpiryDate = join, expiry
	if u.Cancelled != nil {
		ms.Cancelled = *u.Cancelled
	}
	if u.Activated != nil {
		ms.Activated = *u.Activated
	}
	writeJSON(w, http.StatusOK, ms.json())
}

func (s *Sim) findMembershipLocked(link string) *membership {
	for _, m := range s.members {
		for _, ms := range m.Memberships {
			if ms.Linkfield == link {
				return ms
			}
		}
	}
	return nil
}
