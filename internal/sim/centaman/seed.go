package centaman

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// generate builds a museum: three event families with timed sessions,
// part-sold according to the seed, four membership types and a few
// members, some of them lapsed.
func (s *Sim) generate() {
	rng := rand.New(rand.NewPCG(uint64(s.opts.Seed), 0x5eed))
	s.bookingTypes = []*bookingType{
		{ID: 1, Description: "General admission", Capacity: 200,
			Times:  [][2]string{{"09:30", "11:30"}, {"11:30", "13:30"}, {"13:30", "15:30"}, {"15:30", "17:00"}},
			Prices: []price{{501, "Adult", 25.00}, {502, "Child 4-15", 12.50}, {503, "Concession", 18.00}}},
		{ID: 2, Description: "Dinosaurs: the exhibition", Capacity: 20,
			Times:  [][2]string{{"10:00", "11:00"}, {"11:30", "12:30"}, {"13:00", "14:00"}, {"14:30", "15:30"}},
			Prices: []price{{504, "Adult", 42.56}, {505, "Child 4-15", 21.00}}},
		{ID: 3, Description: "Night at the museum", Capacity: 40,
			Times:    [][2]string{{"18:30", "21:00"}},
			Weekdays: []time.Weekday{time.Friday, time.Saturday},
			Prices:   []price{{506, "Adult", 65.00}}},
	}
	first := time.Date(s.opts.FirstDay.Year(), s.opts.FirstDay.Month(), s.opts.FirstDay.Day(), 0, 0, 0, 0, time.UTC)
	for d := range s.opts.Days {
		day := first.AddDate(0, 0, d)
		for _, bt := range s.bookingTypes {
			if len(bt.Weekdays) > 0 && !containsWeekday(bt.Weekdays, day.Weekday()) {
				continue
			}
			for _, slot := range bt.Times {
				ss := &session{ID: s.newID(), BookingType: bt, Day: day.Format("2006-01-02"),
					Start: slot[0], End: slot[1], Capacity: bt.Capacity}
				ss.Sold = rng.IntN(bt.Capacity/2 + 1)
				s.sessions[ss.ID] = ss
				s.sessionOrder = append(s.sessionOrder, ss.ID)
			}
		}
	}
	s.membershipTypes = []membershipType{
		{11, "Individual", "Adult", 95.00, 1},
		{12, "Family", "Family", 180.00, 2},
		{13, "Concession", "Concession", 65.00, 3},
		{14, "Patron", "Patron", 450.00, 4},
	}
	s.extras = map[int64][]extra{
		1: {{601, "Audio guide", 6.00}},
		2: {{602, "Audio guide", 6.00}, {603, "Lunch box", 14.50}},
		3: {{604, "Glass of wine", 9.00}},
	}
	s.general = []generalTicket{
		{701, "General entry: adult", 20.00, 18.00, true, false},
		{702, "General entry: child 4-15", 9.00, 8.00, true, false},
		{703, "General entry: school group", 6.00, 6.00, true, true},
		{704, "General entry: staff", 0, 0, false, false},
	}
	s.generateMembers(rng, first)
}

func containsWeekday(ws []time.Weekday, w time.Weekday) bool {
	for _, x := range ws {
		if x == w {
			return true
		}
	}
	return false
}

var (
	firstNames = []string{"Ann", "Bob", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hiro", "Isla", "Jack"}
	lastNames  = []string{"Nguyen", "Smith", "Wilson", "Brown", "Taylor", "Singh", "Martin", "Lee", "Walker", "Hall"}
)

// generateMembers makes ten members: even ones and families current,
// the other odd ones lapsed, so both membership statuses can be seen.
func (s *Sim) generateMembers(rng *rand.Rand, today time.Time) {
	for i := range 10 {
		m := &member{
			MemberCode: s.newID(), MemberNumber: 300000 + int64(i),
			FirstName: firstNames[i], LastName: lastNames[rng.IntN(len(lastNames))], IsPrimary: true,
		}
		m.Email = strings.ToLower(fmt.Sprintf("%s.%s@example.org", m.FirstName, m.LastName))
		mt := s.membershipTypes[i%len(s.membershipTypes)]
		join := today.AddDate(-1-i%3, 0, -rng.IntN(200))
		expiry := today.AddDate(0, -1-rng.IntN(6), 0)
		if i%2 == 0 || mt.Class == "Family" {
			expiry = today.AddDate(0, 1+rng.IntN(11), 0)
		}
		m.Password = MemberPassword(m.MemberNumber)
		m.Memberships = append(m.Memberships, s.newMembershipLocked(m.MemberCode, mt, join, expiry, "seed"))
		s.members[m.MemberCode] = m
		s.memberOrder = append(s.memberOrder, m.MemberCode)
		if mt.Class == "Family" {
			s.addSecondariesLocked(m)
		}
	}
}

// addSecondariesLocked gives a family membership two secondary members:
// own member numbers and e-mail addresses, no memberships of their own
// (the family's is on the primary).
func (s *Sim) addSecondariesLocked(p *member) {
	for _, first := range []string{"Kai", "Lena"} {
		m := &member{MemberCode: s.newID(), FirstName: first, LastName: p.LastName, PrimaryMemberID: p.MemberCode}
		m.MemberNumber = 300000 + m.MemberCode
		m.Email = strings.ToLower(fmt.Sprintf("%s.%s@example.org", m.FirstName, m.LastName))
		m.Password = MemberPassword(m.MemberNumber)
		s.members[m.MemberCode] = m
		s.memberOrder = append(s.memberOrder, m.MemberCode)
	}
}

// MemberPassword is the password the generated member with a number has,
// so tests and demos can sign in with an e-mail and password.
func MemberPassword(number int64) string { return fmt.Sprintf("visit-the-museum-%d", number) }

// Member describes a generated member, for tests and demos.
type Member struct {
	MemberCode   int64
	MemberNumber int64
	FirstName    string
	LastName     string
	Email        string
	Current      bool
	// Primary is the primary member's code for a secondary member, 0 for
	// a primary.
	Primary int64
}

// Members lists the members, primary and secondary, with whether their
// family's membership is current.
func (s *Sim) Members() []Member {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var out []Member
	for _, code := range s.memberOrder {
		m := s.members[code]
		out = append(out, Member{MemberCode: m.MemberCode, MemberNumber: m.MemberNumber, FirstName: m.FirstName,
			LastName: m.LastName, Email: m.Email, Current: s.familyCurrentLocked(m, now), Primary: m.PrimaryMemberID})
	}
	return out
}
