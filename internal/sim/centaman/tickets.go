package centaman

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
)

func (s *Sim) sessionJSON(ss *session) map[string]any {
	return map[string]any{
		"TimedTicketTypeId":          ss.ID,
		"BookingTypeId":              ss.BookingType.ID,
		"BookingTypeDescription":     ss.BookingType.Description,
		"TimedTicketTypeDescription": ss.BookingType.Description + " " + ss.Start,
		"StartDate":                  ss.Day + "T00:00:00",
		"StartTime":                  ss.Start,
		"EndTime":                    ss.End,
		"Capacity":                   ss.Capacity,
		"vacancy":                    max(s.vacancyLocked(ss), 0),
		"Bookingfee":                 0.0,
		"BookingFeeItemCode":         0,
		"Cancelled":                  ss.Cancelled,
		"IsBookedExclusively":        false,
	}
}

// Cost rates: the public rate and the members' rate, which sells at
// memberDiscount of the public price.
const (
	publicRate     = 1
	memberRate     = 2
	memberDiscount = 0.8
)

// atRate is a price at a cost rate.
func atRate(p float64, rate int64) float64 {
	if rate == memberRate {
		return round2(p * memberDiscount)
	}
	return p
}

func costRateOf(r *http.Request) int64 {
	rate, _ := strconv.ParseInt(r.URL.Query().Get("CostRateId"), 10, 64)
	return rate
}

func priceJSON(p price, rate int64) map[string]any {
	return map[string]any{
		"TicketId": p.TicketID, "TicketDescription": p.Description, "TicketPrice": atRate(p.Price, rate),
		"TicketBookingFee": 0.0, "TicketFeeItemId": 0, "DepositPercentage": 100.0,
		"IsTaxInclusive": true, "TaxPercentage": 10.0,
	}
}

// getTimedTicket serves GET ticket_services/TimedTicket: booking types
// without a query, a session's prices with TimedTicketTypeId.
func (s *Sim) getTimedTicket(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	if q.Has("FirstName") || q.Has("LastName") || q.Has("Email") {
		s.contactCostRateLocked(w, q.Get("FirstName"), q.Get("LastName"), q.Get("Email"))
		return
	}
	if v := r.URL.Query().Get("TimedTicketTypeId"); v != "" {
		ss := s.sessionByParam(v)
		if ss == nil {
			writeMessage(w, http.StatusNotFound, "No timed ticket type matches "+v+".")
			return
		}
		out := []map[string]any{}
		for _, p := range ss.BookingType.Prices {
			out = append(out, priceJSON(p, costRateOf(r)))
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	out := []map[string]any{}
	for _, bt := range s.bookingTypes {
		out = append(out, map[string]any{"BookingTypeId": bt.ID, "BookingDescription": bt.Description})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Sim) sessionByParam(v string) *session {
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil
	}
	return s.sessions[id]
}

// getTimedTicketType serves GET ticket_services/TimedTicketType: one
// session's availability with TimedTicketTypeId, else the sessions of a
// booking type (or all) between StartDate and EndDate (today by default).
func (s *Sim) getTimedTicketType(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := q.Get("TimedTicketTypeId"); v != "" {
		ss := s.sessionByParam(v)
		if ss == nil || (q.Get("StartDate") != "" && dayOf(q.Get("StartDate")) != ss.Day) {
			writeMessage(w, http.StatusNotFound, "No timed ticket type matches "+v+".")
			return
		}
		writeJSON(w, http.StatusOK, []map[string]any{s.sessionJSON(ss)})
		return
	}
	today := s.now().Format("2006-01-02")
	from, to := dayOf(q.Get("StartDate")), dayOf(q.Get("EndDate"))
	if from == "" {
		from = today
	}
	if to == "" {
		to = from
	}
	bookingType, _ := strconv.ParseInt(q.Get("BookingTypeId"), 10, 64)
	out := []map[string]any{}
	for _, id := range s.sessionOrder {
		ss := s.sessions[id]
		if ss.Day < from || ss.Day > to || (bookingType != 0 && ss.BookingType.ID != bookingType) {
			continue
		}
		out = append(out, s.sessionJSON(ss))
	}
	writeJSON(w, http.StatusOK, out)
}

// dayOf returns the YYYY-MM-DD of a date or DateTime parameter.
func dayOf(v string) string {
	if len(v) >= 10 {
		return v[:10]
	}
	return ""
}

type holdRequest struct {
	TimedTicketTypeID int64 `json:"TimedTicketTypeId"`
	TimedTicketID     int64 `json:"TimedTicketId"`
	NumberOfTickets   int   `json:"NumberOfTickets"`
}

// holdOrRelease serves POST ticket_services/TimedTicketType: a temporary
// reservation, or with Releaseflag=1 its release. All lines or none.
func (s *Sim) holdOrRelease(w http.ResponseWriter, r *http.Request) {
	var lines []holdRequest
	if !decodeBody(w, r, &lines) {
		return
	}
	release := r.URL.Query().Get("Releaseflag") == "1"
	s.mu.Lock()
	ok, msg := s.checkHoldLinesLocked(lines)
	if ok && release {
		s.releaseLocked(lines)
	} else if ok {
		ok = s.reserveLocked(lines)
	}
	s.mu.Unlock()
	if msg != "" {
		writeMessage(w, http.StatusBadRequest, msg)
		return
	}
	s.answer(w, r, http.StatusOK, ok)
}

func (s *Sim) checkHoldLinesLocked(lines []holdRequest) (bool, string) {
	if len(lines) == 0 {
		return false, "At least one timed ticket is required."
	}
	for _, l := range lines {
		ss := s.sessions[l.TimedTicketTypeID]
		if ss == nil {
			return false, fmt.Sprintf("No timed ticket type matches %d.", l.TimedTicketTypeID)
		}
		if findPrice(ss, l.TimedTicketID) == nil {
			return false, fmt.Sprintf("Timed ticket %d is not sold for timed ticket type %d.", l.TimedTicketID, l.TimedTicketTypeID)
		}
		if l.NumberOfTickets <= 0 {
			return false, "NumberOfTickets must be positive."
		}
	}
	return true, ""
}

func findPrice(ss *session, ticketID int64) *price {
	for i := range ss.BookingType.Prices {
		if ss.BookingType.Prices[i].TicketID == ticketID {
			return &ss.BookingType.Prices[i]
		}
	}
	return nil
}

// reserveLocked holds every line if each session has the room, else none.
func (s *Sim) reserveLocked(lines []holdRequest) bool {
	want := map[int64]int{}
	for _, l := range lines {
		want[l.TimedTicketTypeID] += l.NumberOfTickets
	}
	for id, n := range want {
		ss := s.sessions[id]
		if ss.Cancelled || s.vacancyLocked(ss) < n {
			return false
		}
	}
	expires := s.now().Add(s.opts.HoldTTL)
	for _, l := range lines {
		s.holds = append(s.holds, &hold{SessionID: l.TimedTicketTypeID, TicketID: l.TimedTicketID, Count: l.NumberOfTickets, ExpiresAt: expires})
	}
	return true
}

// releaseLocked frees held spots, newest holds first.
func (s *Sim) releaseLocked(lines []holdRequest) {
	for _, l := range lines {
		s.consumeHeldLocked(l.TimedTicketTypeID, l.TimedTicketID, l.NumberOfTickets)
	}
}

// consumeHeldLocked removes up to n unexpired held spots of a price line
// and returns how many it removed.
func (s *Sim) consumeHeldLocked(sessionID, ticketID int64, n int) int {
	now := s.now()
	taken := 0
	for i := len(s.holds) - 1; i >= 0 && taken < n; i-- {
		h := s.holds[i]
		if h.SessionID != sessionID || h.TicketID != ticketID || !now.Before(h.ExpiresAt) {
			continue
		}
		k := min(h.Count, n-taken)
		h.Count -= k
		taken += k
	}
	kept := s.holds[:0]
	for _, h := range s.holds {
		if h.Count > 0 && now.Before(h.ExpiresAt) {
			kept = append(kept, h)
		}
	}
	s.holds = kept
	return taken
}

type contactRequest struct {
	FirstName string `json:"FirstName"`
	LastName  string `json:"LastName"`
	Email     string `json:"Email"`
}

// createContact serves POST ticket_services/TimedTicket: a booking
// contact, with the field lengths Centaman enforces.
func (s *Sim) createContact(w http.ResponseWriter, r *http.Request) {
	var c contactRequest
	if !decodeBody(w, r, &c) {
		return
	}
	switch {
	case len([]rune(c.FirstName)) > 30 || len([]rune(c.LastName)) > 30:
		writeMessage(w, http.StatusBadRequest, "FirstName and LastName may hold at most 30 characters.")
		return
	case len([]rune(c.Email)) > 60:
		writeMessage(w, http.StatusBadRequest, "Email may hold at most 60 characters.")
		return
	case strings.TrimSpace(c.LastName) == "":
		writeMessage(w, http.StatusBadRequest, "LastName is required.")
		return
	}
	s.mu.Lock()
	ct := contact{MemberCode: s.newID(), FirstName: c.FirstName, LastName: c.LastName, Email: c.Email}
	s.contacts[ct.MemberCode] = ct
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"MemberCode": ct.MemberCode, "FirstName": ct.FirstName,
		"LastName": ct.LastName, "Email": ct.Email, "Address": map[string]any{}})
}

// contactCostRateLocked answers GET ticket_services/TimedTicket?
// FirstName=&LastName=&Email=: the contact's cost rate, the members' rate
// for a member whose family holds a current membership.
func (s *Sim) contactCostRateLocked(w http.ResponseWriter, first, last, email string) {
	now := s.now()
	for _, code := range s.memberOrder {
		m := s.members[code]
		if strings.EqualFold(m.FirstName, first) && strings.EqualFold(m.LastName, last) && strings.EqualFold(m.Email, email) {
			rate := publicRate
			if s.familyCurrentLocked(m, now) {
				rate = memberRate
			}
			writeJSON(w, http.StatusOK, map[string]any{"FirstName": m.FirstName, "LastName": m.LastName, "Email": m.Email,
				"ContactID": m.MemberCode, "ContactCostRateID": rate})
			return
		}
	}
	for _, c := range s.contacts {
		if strings.EqualFold(c.FirstName, first) && strings.EqualFold(c.LastName, last) && strings.EqualFold(c.Email, email) {
			writeJSON(w, http.StatusOK, map[string]any{"FirstName": c.FirstName, "LastName": c.LastName, "Email": c.Email,
				"ContactID": c.MemberCode, "ContactCostRateID": publicRate})
			return
		}
	}
	writeMessage(w, http.StatusNotFound, "No contact matches.")
}

type itemRequest struct {
	ItemDescription string  `json:"ItemDescription"`
	ItemCode        int64   `json:"ItemCode"`
	Quantity        int     `json:"Quantity"`
	TaxPaid         float64 `json:"TaxPaid"`
	ItemCost        float64 `json:"ItemCost"`
	TotalPaid       float64 `json:"TotalPaid"`
	IsExtraItem     bool    `json:"IsExtraItem"`
}

type transactionRequest struct {
	TimedTicketTypeID int64         `json:"TimedTicketTypeId"`
	BookingTypeID     int64         `json:"BookingTypeId"`
	StartDate         string        `json:"StartDate"`
	PaymentReference  string        `json:"PaymentReference"`
	TransactionDate   string        `json:"TransactionDate"`
	BookingContactID  int64         `json:"BookingContactID"`
	TotalTickets      int           `json:"TotalTickets"`
	TotalPaid         float64       `json:"TotalPaid"`
	Item              []itemRequest `json:"Item"`
}

// createTransaction serves POST ticket_services/TimedTicketTransaction:
// held spots become sold; spots not held are taken from vacancy, and a
// sale that does not fit is refused, so nothing is ever oversold.
func (s *Sim) createTransaction(w http.ResponseWriter, r *http.Request) {
	var raws []json.RawMessage
	if !decodeBody(w, r, &raws) {
		return
	}
	if len(raws) == 0 {
		writeMessage(w, http.StatusBadRequest, "At least one transaction is required.")
		return
	}
	var out []map[string]any
	s.mu.Lock()
	for _, raw := range raws {
		b, msg := s.recordTransactionLocked(raw)
		if msg != "" {
			s.mu.Unlock()
			writeMessage(w, http.StatusBadRequest, msg)
			return
		}
		out = append(out, b.Raw)
	}
	s.mu.Unlock()
	s.answer(w, r, http.StatusCreated, out)
}

func (s *Sim) recordTransactionLocked(raw json.RawMessage) (booking, string) {
	var t transactionRequest
	var echo map[string]any
	if json.Unmarshal(raw, &t) != nil || json.Unmarshal(raw, &echo) != nil {
		return booking{}, "The request is invalid."
	}
	ss, msg := s.checkTransactionLocked(t)
	if msg != "" {
		return booking{}, msg
	}
	fromVacancy := 0
	for _, it := range t.Item {
		if !it.IsExtraItem {
			fromVacancy += it.Quantity - min(it.Quantity, s.heldLocked(ss.ID, it.ItemCode))
		}
	}
	if fromVacancy > s.vacancyLocked(ss) {
		return booking{}, fmt.Sprintf("Insufficient vacancy for timed ticket type %d: %d more needed, %d available.",
			ss.ID, fromVacancy, max(s.vacancyLocked(ss), 0))
	}
	b := booking{BookingID: s.newID(), PaymentReference: t.PaymentReference, ContactID: t.BookingContactID,
		Tickets: t.TotalTickets, TotalPaid: t.TotalPaid, Raw: echo}
	var items []map[string]any
	for _, it := range t.Item {
		if it.IsExtraItem {
			// The captured real answer returns extras as their own lines
			// with an empty Barcode.
			b.Extras += it.Quantity
			items = append(items, map[string]any{"ItemDescription": it.ItemDescription, "ItemCode": it.ItemCode,
				"Quantity": it.Quantity, "TaxPaid": it.TaxPaid, "ItemCost": it.ItemCost, "TotalPaid": it.TotalPaid,
				"IsExtraItem": true, "Barcode": ""})
			continue
		}
		s.consumeHeldLocked(ss.ID, it.ItemCode, it.Quantity)
		for range it.Quantity {
			items = append(items, map[string]any{
				"ItemDescription": it.ItemDescription, "ItemCode": it.ItemCode, "Quantity": 1,
				"TaxPaid": it.TaxPaid, "ItemCost": it.ItemCost, "TotalPaid": round2(it.TotalPaid / float64(it.Quantity)),
				"IsExtraItem": false, "Barcode": fmt.Sprintf("27%08d%04d", b.BookingID, len(items)+1),
			})
		}
	}
	ss.Sold += t.TotalTickets
	echo["Item"] = items
	echo["StartDate"] = ss.Day + "T00:00:00"
	echo["BookingId"] = b.BookingID
	echo["ReceiptNo"] = fmt.Sprintf("R%07d", b.BookingID)
	echo["BalanceAmount"] = 0.0
	s.bookings = append(s.bookings, b)
	return b, ""
}

func (s *Sim) checkTransactionLocked(t transactionRequest) (*session, string) {
	ss := s.sessions[t.TimedTicketTypeID]
	switch {
	case ss == nil:
		return nil, fmt.Sprintf("No timed ticket type matches %d.", t.TimedTicketTypeID)
	case ss.Cancelled:
		return nil, "The timed ticket type is cancelled."
	case strings.TrimSpace(t.PaymentReference) == "":
		return nil, "PaymentReference is required."
	case t.TransactionDate == "":
		return nil, "TransactionDate is required."
	case len(t.Item) == 0:
		return nil, "At least one Item is required."
	}
	if _, ok := s.contacts[t.BookingContactID]; !ok {
		if _, ok := s.members[t.BookingContactID]; !ok {
			return nil, fmt.Sprintf("No contact matches BookingContactID %d.", t.BookingContactID)
		}
	}
	tickets, paid := 0, 0.0
	for _, it := range t.Item {
		known := findPrice(ss, it.ItemCode) != nil
		if it.IsExtraItem {
			known = s.findExtraLocked(ss, it.ItemCode) != nil
		}
		if !known || it.Quantity <= 0 {
			return nil, fmt.Sprintf("Item %d is not sold for timed ticket type %d.", it.ItemCode, ss.ID)
		}
		if !it.IsExtraItem {
			tickets += it.Quantity
		}
		paid += it.TotalPaid
	}
	if tickets != t.TotalTickets {
		return nil, fmt.Sprintf("TotalTickets is %d but the items hold %d.", t.TotalTickets, tickets)
	}
	if math.Abs(paid-t.TotalPaid) > 0.005 {
		return nil, fmt.Sprintf("TotalPaid is %.2f but the items add up to %.2f.", t.TotalPaid, paid)
	}
	return ss, ""
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// findTransactions serves GET ticket_services/TimedTicketTransaction?
// PaymentReference=: the bookings recorded with a payment reference. Real
// Centaman documents no such lookup; it is served only with
// Options.UndocumentedLookups, and usher never calls it.
func (s *Sim) findTransactions(w http.ResponseWriter, r *http.Request) {
	ref := r.URL.Query().Get("PaymentReference")
	if ref == "" {
		writeMessage(w, http.StatusBadRequest, "PaymentReference is required.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, b := range s.bookings {
		if b.PaymentReference == ref {
			out = append(out, b.Raw)
		}
	}
	writeJSON(w, http.StatusOK, out)
}
