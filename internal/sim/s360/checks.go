package s360

import (
	"sort"
	"strconv"
	"time"

	"github.com/usher-hub/usher"
)

// checkDoc is the data-export webhook's ticket-check row, as in
// testdata/s360/ticketchecks.json.
type checkDoc struct {
	TicketCheckID int64  `json:"ticket_check_id"`
	MovementID    int64  `json:"movement_id"`
	TicketID      int64  `json:"ticket_id"`
	Barcode       string `json:"barcode"`
	AccessTime    string `json:"access_time"`
	CheckFlow     string `json:"check_flow"`
	Result        string `json:"result"`
	FailureReason string `json:"failure_reason"`
}

// The failure reasons the gate reports. NO_FAIL and
// NO_MORE_ENTRY_ALLOWED_TODAY are S-360's documented values; the others
// name the business failures S-360's access-control checklist lists
// (already scanned, cancelled ticket, wrong day).
const (
	reasonNone        = "NO_FAIL"
	reasonNoReentry   = "NO_MORE_ENTRY_ALLOWED_TODAY"
	reasonAlreadyIn   = "ALREADY_SCANNED"
	reasonCancelled   = "TICKET_CANCELLED"
	reasonWrongDay    = "WRONG_DATE"
	flowIn, flowOut   = "IN", "OUT"
	resultOK, resFail = "OK", "FAIL"
)

// check is one scan before ids are assigned.
type check struct {
	at            time.Time
	t             *ticket
	flow, result  string
	failureReason string
}

// checkDay scans the tickets valid on day: most parties come, some leave
// through the exit gate, a few try again or come on the wrong day or with
// a refunded ticket. Ids increase with access time, as a gate's log does.
func (v *Venue) checkDay(day time.Time) {
	key := dayKey(day)
	tickets := v.tickets[key]
	delete(v.tickets, key)
	if !v.isOpen(day) {
		return
	}
	var checks []check
	arrivals := map[int64]time.Time{} // a party arrives together
	for _, t := range tickets {
		if t.refunded {
			if v.chance(0.1) {
				checks = append(checks, check{at: v.arrival(day), t: t, flow: flowIn, result: resFail, failureReason: reasonCancelled})
			}
			continue
		}
		at, ok := arrivals[t.group]
		if !ok {
			at = v.partyArrival(day, t)
			arrivals[t.group] = at
		}
		if at.IsZero() {
			continue // this party stayed at home
		}
		at = at.Add(v.between(2*time.Second, 40*time.Second))
		checks = append(checks, v.visit(day, t, at)...)
	}
	for _, t := range v.tickets[dayKey(day.AddDate(0, 0, 1))] {
		if !t.refunded && !t.notBefore.After(day) && v.chance(0.01) {
			checks = append(checks, check{at: v.arrival(day), t: t, flow: flowIn, result: resFail, failureReason: reasonWrongDay})
		}
	}
	sort.SliceStable(checks, func(i, j int) bool { return checks[i].at.Before(checks[j].at) })
	for _, c := range checks {
		v.ids.check++
		doc := checkDoc{
			TicketCheckID: v.ids.check, MovementID: c.t.movementID, TicketID: c.t.id, Barcode: c.t.barcode,
			AccessTime: localTime(c.at, v.cfg.Location), CheckFlow: c.flow, Result: c.result, FailureReason: c.failureReason,
		}
		at := c.at.Truncate(time.Second) // access_time has whole seconds
		v.emit(usher.StreamTicketChecks, strconv.FormatInt(doc.TicketCheckID, 10), at, at, doc)
	}
}

// partyArrival draws when t's party reaches the gate, or zero when it
// does not come. Nobody arrives before buying the ticket or in the last
// half hour.
func (v *Venue) partyArrival(day time.Time, t *ticket) time.Time {
	if !t.arrival.IsZero() {
		return t.arrival
	}
	if v.chance(0.08) {
		return time.Time{}
	}
	at := v.arrival(day)
	if at.Before(t.notBefore) {
		at = t.notBefore.Add(v.between(5*time.Minute, 30*time.Minute))
	}
	if at.After(day.Add(closingHour*time.Hour - 30*time.Minute)) {
		return time.Time{}
	}
	return at
}

// visit is one visitor's scans from arrival at.
func (v *Venue) visit(day time.Time, t *ticket, at time.Time) []check {
	out := []check{{at: at, t: t, flow: flowIn, result: resultOK, failureReason: reasonNone}}
	if v.chance(0.02) { // the ticket is shown again, or passed back
		out = append(out, check{at: at.Add(v.between(5*time.Second, 40*time.Second)), t: t, flow: flowIn, result: resFail, failureReason: reasonAlreadyIn})
	}
	if !v.chance(0.65) {
		return out // left without scanning out
	}
	closing := day.Add(closingHour * time.Hour)
	leave := at.Add(v.between(45*time.Minute, 3*time.Hour))
	if leave.After(closing) {
		leave = closing.Add(-v.between(0, 10*time.Minute))
	}
	if !leave.After(at) {
		return out
	}
	out = append(out, check{at: leave, t: t, flow: flowOut, result: resultOK, failureReason: reasonNone})
	if back := leave.Add(v.between(10*time.Minute, time.Hour)); v.chance(0.04) && back.Before(closing) {
		out = append(out, check{at: back, t: t, flow: flowIn, result: resFail, failureReason: reasonNoReentry})
	}
	return out
}
