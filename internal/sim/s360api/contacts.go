package s360api

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
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
	c, ok := in.contacts[req.ContactNumber]
	if !ok {
		return http.StatusNotFound, failure("contact_not_found", "no contact "+req.ContactNumber)
	}
	return http.StatusOK, maps.Clone(c)
}

func (s *Sim) searchContacts(in *instance, body []byte) (int, map[string]any) {
	var req struct {
		Email      string `json:"email"`
		Identifier string `json:"identifier"`
	}
	if err := decodeBody(body, &req); err != nil || (req.Email == "" && req.Identifier == "") {
		return http.StatusBadRequest, failure("invalid_request", "give an email or an identifier")
	}
	var found []map[string]any
	if req.Identifier != "" {
		if n, ok := in.identifiers[req.Identifier]; ok {
			found = append(found, map[string]any{"contactNumber": n, "identifier": req.Identifier})
		}
	} else {
		for n, c := range in.contacts {
			if c["email"] == req.Email {
				found = append(found, map[string]any{"contactNumber": n, "email": req.Email})
			}
		}
	}
	return http.StatusOK, map[string]any{"contacts": found}
}

// saveContact creates a contact, or updates the fields given of an
// existing one. An identifier already used means the same contact: a
// second line of defence after the idempotency key.
func (s *Sim) saveContact(in *instance, body []byte) (int, map[string]any) {
	var req struct {
		ContactData map[string]any `json:"contactData"`
		Identifier  string         `json:"identifier"`
	}
	if err := decodeBody(body, &req); err != nil || len(req.ContactData) == 0 {
		return http.StatusBadRequest, failure("invalid_request", "contactData is required")
	}
	number, _ := req.ContactData["contactNumber"].(string)
	if number == "" && req.Identifier != "" {
		number = in.identifiers[req.Identifier]
	}
	now := s.cfg.Now()
	c, ok := in.contacts[number]
	switch {
	case number != "" && !ok:
		return http.StatusNotFound, failure("contact_not_found", "no contact "+number)
	case !ok:
		c = in.newContact(now)
		number = c["contactNumber"].(string)
	}
	merge(c, req.ContactData)
	c["lastUpdateDate"] = now.UTC().Format(timeLayout)
	in.markChanged(number)
	out := map[string]any{"culturalContactData": []any{maps.Clone(c)}}
	if req.Identifier != "" {
		in.identifiers[req.Identifier] = number
		out["identifierContactMap"] = map[string]string{req.Identifier: number}
	}
	return http.StatusOK, out
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
