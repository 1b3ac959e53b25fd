package s360api

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// timeLayout is how S-360 writes times in JSON.
const timeLayout = "2006-01-02T15:04:05.000-07:00"

// identity are the fields only S-360 sets.
var identity = map[string]bool{"contactNumber": true, "contactId": true, "creationDate": true, "lastUpdateDate": true}

func decodeBody(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return dec.Decode(v)
}

func (s *Sim) getContactData(in *instance, body []byte) (int, map[string]any) {
	var req struct {
		ContactNumber string   `json:"contactNumber"`
		Details       []string `json:"details"`
	}
	if err := decodeBody(body, &req); err != nil || req.ContactNumber == "" {
		return http.StatusBadRequest, failure("invalid_request", "contactNumber is required")
	}
	if c, ok := in.contacts[req.ContactNumber]; ok {
		return http.StatusOK, maps.Clone(c)
	}
	if c, ok := s.venueContact(req.ContactNumber); ok {
		return http.StatusOK, c
	}
	return business("contact_not_found", "no contact "+req.ContactNumber)
}

// searchContact finds contacts by e-mail, narrowed by the names given.
// Several contacts may share an e-mail, as in S-360.
func (s *Sim) searchContact(in *instance, body []byte) (int, map[string]any) {
	var req struct {
		Email     string `json:"email"`
		FirstName string `json:"firstName"`
		LastName  string `json:"lastName"`
	}
	if err := decodeBody(body, &req); err != nil || req.Email == "" {
		return http.StatusBadRequest, failure("invalid_request", "give an email")
	}
	found := []map[string]any{}
	match := func(n string, c map[string]any) {
		first, last := names(c)
		if !strings.EqualFold(str(c["email"]), req.Email) || (req.FirstName != "" && first != req.FirstName) || (req.LastName != "" && last != req.LastName) {
			return
		}
		m := map[string]any{"contactNumber": n, "email": c["email"], "firstName": first, "lastName": last}
		if id, ok := in.identifierOf[n]; ok && s.cfg.ReturnIdentifier {
			m["identifier"] = json.Number(id)
		}
		found = append(found, m)
	}
	if s.cfg.Venue != nil {
		for _, raw := range s.cfg.Venue.ContactsByEmail(req.Email) {
			if c, ok := decodeContact(raw); ok {
				match(str(c["contactNumber"]), c)
			}
		}
	}
	for _, n := range sortedNumbers(in.contacts) {
		match(n, in.contacts[n])
	}
	return http.StatusOK, map[string]any{"contacts": found}
}

// createCulturalContact creates the contacts of contactDataList, each
// with the caller's identifier, and maps identifier → contact number.
func (s *Sim) createCulturalContact(in *instance, body []byte) (int, map[string]any) {
	var req struct {
		ContactDataList []struct {
			CreateLogin bool        `json:"createLogin"`
			Email       string      `json:"email"`
			FirstName   string      `json:"firstName"`
			LastName    string      `json:"lastName"`
			Identifier  json.Number `json:"identifier"`
		} `json:"contactDataList"`
	}
	if err := decodeBody(body, &req); err != nil || len(req.ContactDataList) == 0 {
		return http.StatusBadRequest, failure("invalid_request", "contactDataList is required")
	}
	for _, cd := range req.ContactDataList {
		if _, err := cd.Identifier.Int64(); err != nil || !plausibleEmail(cd.Email) {
			// The call is refused as a whole: S-360's methods are
			// transactional, so nothing is created.
			return business("invalid_contact", "each contact needs a valid email and a numeric identifier")
		}
	}
	now := s.cfg.Now()
	idMap := map[string]string{}
	var created []any
	for _, cd := range req.ContactDataList {
		c := in.newContact(now)
		number := c["contactNumber"].(string)
		c["email"] = cd.Email
		c["individualContact"] = map[string]any{"firstName": cd.FirstName, "lastName": cd.LastName}
		c["lastUpdateDate"] = now.UTC().Format(timeLayout)
		in.identifierOf[number] = cd.Identifier.String()
		idMap[cd.Identifier.String()] = number
		in.markChanged(number)
		s.contactChanged(number, c)
		created = append(created, maps.Clone(c))
	}
	return http.StatusOK, map[string]any{"identifierContactMap": idMap, "culturalContactData": created}
}

// saveContact updates the fields given of an existing contact.
func (s *Sim) saveContact(in *instance, body []byte) (int, map[string]any) {
	var req struct {
		ContactData map[string]any `json:"contactData"`
	}
	if err := decodeBody(body, &req); err != nil || len(req.ContactData) == 0 {
		return http.StatusBadRequest, failure("invalid_request", "contactData is required")
	}
	number, _ := req.ContactData["contactNumber"].(string)
	c, ok := in.contacts[number]
	if !ok {
		return s.saveVenueContact(number, req.ContactData)
	}
	now := s.cfg.Now()
	merge(c, req.ContactData)
	c["lastUpdateDate"] = now.UTC().Format(timeLayout)
	in.markChanged(number)
	s.contactChanged(number, c)
	return http.StatusOK, map[string]any{"culturalContactData": []any{maps.Clone(c)}}
}

// saveVenueContact updates a contact of the venue the API runs over: the
// venue applies the change to the contact as it is now and pushes it.
func (s *Sim) saveVenueContact(number string, fields map[string]any) (int, map[string]any) {
	if s.cfg.Venue == nil || number == "" {
		return business("contact_not_found", "no contact "+number)
	}
	raw, ok := s.cfg.Venue.ChangeContact(number, func(c map[string]any) { merge(c, fields) })
	if !ok {
		return business("contact_not_found", "no contact "+number)
	}
	c, _ := decodeContact(raw)
	return http.StatusOK, map[string]any{"culturalContactData": []any{c}}
}

func names(c map[string]any) (first, last string) {
	ic, _ := c["individualContact"].(map[string]any)
	return str(ic["firstName"]), str(ic["lastName"])
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func sortedNumbers(m map[string]map[string]any) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (in *instance) newContact(now time.Time) map[string]any {
	n := in.nextNumber
	in.nextNumber++
	number := strconv.FormatInt(n, 10)
	c := map[string]any{
		"contactNumber": number,
		"contactId":     json.Number(strconv.FormatInt(10228100000000+n, 10)),
		"creationDate":  now.UTC().Format(timeLayout),
		"role":          "PUBLIC",
		"type":          "INDIVIDUAL",
	}
	in.contacts[number] = c
	return c
}

// merge writes src's fields into dst, objects field by field, identity
// fields never.
func merge(dst, src map[string]any) {
	for k, v := range src {
		if identity[k] {
			continue
		}
		if sv, ok := v.(map[string]any); ok {
			if dv, ok := dst[k].(map[string]any); ok {
				dv = maps.Clone(dv)
				for kk, vv := range sv {
					dv[kk] = vv
				}
				dst[k] = dv
				continue
			}
		}
		dst[k] = v
	}
}

// ChangeContact changes a contact as an S-360 operator would, and queues
// it for the contact webhook. It reports whether the contact exists.
func (s *Sim) ChangeContact(code, number string, fields map[string]any) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.insts[code]
	if !ok {
		return false
	}
	c, ok := in.contacts[number]
	if !ok {
		return false
	}
	merge(c, fields)
	c["lastUpdateDate"] = s.cfg.Now().UTC().Format(timeLayout)
	in.markChanged(number)
	return true
}

// CreateContacts adds n contacts as S-360 operators would, queued for the
// contact webhook, and returns their numbers.
func (s *Sim) CreateContacts(code string, n int, fields func(i int) map[string]any) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.insts[code]
	if !ok {
		return nil
	}
	now := s.cfg.Now()
	numbers := make([]string, 0, n)
	for i := range n {
		c := in.newContact(now)
		merge(c, fields(i))
		c["lastUpdateDate"] = now.UTC().Format(timeLayout)
		number := c["contactNumber"].(string)
		in.markChanged(number)
		numbers = append(numbers, number)
	}
	return numbers
}

// Contact returns a copy of a contact, as getContactData would.
func (s *Sim) Contact(code, number string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.insts[code]
	if !ok {
		return nil, false
	}
	c, ok := in.contacts[number]
	return maps.Clone(c), ok
}

// ContactCount returns how many contacts an institution has.
func (s *Sim) ContactCount(code string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in, ok := s.insts[code]; ok {
		return len(in.contacts)
	}
	return 0
}

// ContactsByEmail returns the numbers of an institution's contacts with
// that e-mail address, for tests counting duplicates.
func (s *Sim) ContactsByEmail(code, email string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.insts[code]
	if !ok {
		return nil
	}
	var out []string
	for _, n := range sortedNumbers(in.contacts) {
		if strings.EqualFold(str(in.contacts[n]["email"]), email) {
			out = append(out, n)
		}
	}
	return out
}

// plausibleEmail is the simulator's check of an address: a local part and
// a domain with a dot.
func plausibleEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".")
}

// BackdateContact moves a contact's creationDate back by d, as for a
// contact that existed long before a test starts.
func (s *Sim) BackdateContact(code, number string, d time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.insts[code]
	if !ok {
		return false
	}
	c, ok := in.contacts[number]
	if !ok {
		return false
	}
	c["creationDate"] = s.cfg.Now().Add(-d).UTC().Format(timeLayout)
	return true
}
