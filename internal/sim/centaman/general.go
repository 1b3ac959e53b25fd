package centaman

import (
	"fmt"
	"math"
	"net/http"
	"strings"
)

// extra is an add-on sold with the sessions of a booking type.
type extra struct {
	ID          int64
	Description string
	Price       float64
}

// generalTicket is a general-entry (untimed) ticket.
type generalTicket struct {
	ID             int64
	Description    string
	Normal, Web    float64
	Show           bool
	CouponRequired bool
}

type generalSale struct {
	PaymentReference string
	UserID           int64
	TicketID         int64
	Quantity         int
}

// generalDepartment is the department of the general-entry tickets.
const generalDepartment = 10

func (s *Sim) findExtraLocked(ss *session, id int64) *extra {
	for i, e := range s.extras[ss.BookingType.ID] {
		if e.ID == id {
			return &s.extras[ss.BookingType.ID][i]
		}
	}
	return nil
}

// getExtras serves GET ticket_services/TimedTicketExtra?TimedTicketTypeId=
// &CostRateId=.
func (s *Sim) getExtras(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := r.URL.Query().Get("TimedTicketTypeId")
	ss := s.sessionByParam(v)
	if ss == nil {
		writeMessage(w, http.StatusNotFound, "No timed ticket type matches "+v+".")
		return
	}
	out := []map[string]any{}
	for _, e := range s.extras[ss.BookingType.ID] {
		out = append(out, map[string]any{"ExtraId": e.ID, "ExtraDescription": e.Description,
			"ExtraPrice": atRate(e.Price, costRateOf(r)), "DepositPercentage": 100.0, "IsTaxInclusive": true, "TaxPercentage": 10.0})
	}
	writeJSON(w, http.StatusOK, out)
}

// getGeneralTickets serves GET ticket_services/Ticket(?DepartmentID=).
func (s *Sim) getGeneralTickets(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := r.URL.Query().Get("DepartmentID"); d != "" && d != fmt.Sprint(generalDepartment) {
		writeJSON(w, http.StatusOK, []any{})
		return
	}
	out := []map[string]any{}
	for _, g := range s.general {
		out = append(out, map[string]any{"TicketID": g.ID, "TicketDescription": g.Description,
			"DepartmentID": generalDepartment, "DepartmentName": "General entry", "TicketMinimumQuantity": 1,
			"TicketMaximumQuantity": 20, "TicketValidity": 1, "TicketNormalPrice": g.Normal, "TicketWebPrice": g.Web,
			"TaxInclusive": true, "TaxPercentage": 10.0, "CouponRequired": g.CouponRequired, "ShowTicket": g.Show})
	}
	writeJSON(w, http.StatusOK, out)
}

type generalRequest struct {
	ItemDescription  string  `json:"ItemDescription"`
	ItemCode         int64   `json:"ItemCode"`
	Quantity         int     `json:"Quantity"`
	PaymentReference string  `json:"PaymentReference"`
	ItemCost         float64 `json:"ItemCost"`
	TotalCost        float64 `json:"TotalCost"`
	TransactionDate  string  `json:"TransactionDate"`
	UserID           int64   `json:"UserID"`
}

// sellGeneral serves POST ticket_services/Ticket: general-entry tickets
// and their transaction, all lines or none, one answer line per ticket.
func (s *Sim) sellGeneral(w http.ResponseWriter, r *http.Request) {
	var lines []generalRequest
	if !decodeBody(w, r, &lines) {
		return
	}
	s.mu.Lock()
	if msg := s.checkGeneralLocked(lines); msg != "" {
		s.mu.Unlock()
		writeMessage(w, http.StatusBadRequest, msg)
		return
	}
	receipt := fmt.Sprintf("G%07d", s.newID())
	out := []map[string]any{}
	for _, l := range lines {
		s.generalSales = append(s.generalSales, generalSale{PaymentReference: l.PaymentReference, UserID: l.UserID, TicketID: l.ItemCode, Quantity: l.Quantity})
		for range l.Quantity {
			out = append(out, map[string]any{"TicketID": l.ItemCode, "Quantity": 1, "userid": l.UserID,
				"TicketDescription": l.ItemDescription, "BarCode": fmt.Sprintf("29%010d%04d", s.newID(), len(out)+1),
				"ReceiptNumber": receipt, "ExpiryDate": s.now().AddDate(1, 0, 0).Format(dateTimeLayout)})
		}
	}
	s.mu.Unlock()
	s.answer(w, r, http.StatusCreated, out)
}

func (s *Sim) checkGeneralLocked(lines []generalRequest) string {
	if len(lines) == 0 {
		return "At least one ticket is required."
	}
	for _, l := range lines {
		var g *generalTicket
		for i := range s.general {
			if s.general[i].ID == l.ItemCode {
				g = &s.general[i]
			}
		}
		_, isContact := s.contacts[l.UserID]
		_, isMember := s.members[l.UserID]
		switch {
		case g == nil || !g.Show:
			return fmt.Sprintf("Ticket %d is not sold online.", l.ItemCode)
		case l.Quantity <= 0:
			return "Quantity must be positive."
		case strings.TrimSpace(l.PaymentReference) == "" || l.TransactionDate == "":
			return "PaymentReference and TransactionDate are required."
		case !isContact && !isMember:
			return fmt.Sprintf("No contact matches UserID %d.", l.UserID)
		case math.Abs(l.ItemCost*float64(l.Quantity)-l.TotalCost) > 0.005:
			return fmt.Sprintf("TotalCost is %.2f but ItemCost times Quantity is %.2f.", l.TotalCost, l.ItemCost*float64(l.Quantity))
		}
	}
	return ""
}

// GeneralSold returns how many general-entry tickets were sold.
func (s *Sim) GeneralSold() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, g := range s.generalSales {
		n += g.Quantity
	}
	return n
}

type authRequest struct {
	MemberNumber int64  `json:"MemberNumber"`
	Surname      string `json:"Surname"`
	Email        string `json:"Email"`
	Password     string `json:"Password"`
}

// authenticate serves POST member_services/Authentication: a member
// number with a surname, or an e-mail with a password. No member with the
// number or e-mail is Not Found; a wrong surname or password is Not
// Acceptable, as the help page lists.
func (s *Sim) authenticate(w http.ResponseWriter, r *http.Request) {
	var a authRequest
	if !decodeBody(w, r, &a) {
		return
	}
	byNumber := a.MemberNumber != 0 && strings.TrimSpace(a.Surname) != ""
	if !byNumber && (strings.TrimSpace(a.Email) == "" || a.Password == "") {
		writeMessage(w, http.StatusBadRequest, "Either a correct email and password combination or member number and surname combination is required.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for _, code := range s.memberOrder {
		m := s.members[code]
		switch {
		case byNumber && m.MemberNumber == a.MemberNumber:
			found = true
			if strings.EqualFold(strings.TrimSpace(m.LastName), strings.TrimSpace(a.Surname)) {
				writeJSON(w, http.StatusOK, []map[string]any{m.json()})
				return
			}
		case !byNumber && strings.EqualFold(m.Email, strings.TrimSpace(a.Email)):
			found = true
			if m.Password != "" && m.Password == a.Password {
				writeJSON(w, http.StatusOK, []map[string]any{m.json()})
				return
			}
		}
	}
	if !found {
		writeMessage(w, http.StatusNotFound, "No member matches.")
		return
	}
	writeMessage(w, http.StatusNotAcceptable, "Authentication denied.")
}
