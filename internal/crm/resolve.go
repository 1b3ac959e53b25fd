package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/usher-hub/usher/internal/upstream/s360"
)

// creationSkew is how much earlier than the job S-360 may date a contact
// the job created: the two clocks differ, and the job is enqueued before
// its first attempt. A contact with the same e-mail and names created
// that little before the CRM's request is taken for the job's own.
const creationSkew = 2 * time.Minute

// findCreatedContact finds out whether a createCulturalContact whose
// answer was lost created nc. S-360 lets several contacts share an
// e-mail, so it searches by e-mail and names, and takes a match as the
// job's own only if S-360 returns the job's identifier with it or, as
// S-360 does not document returning it, if the match was created after
// the job was enqueued (getContactData's creationDate).
func findCreatedContact(ctx context.Context, up Upstream, nc s360.CulturalContact, enqueued time.Time) (string, bool, error) {
	matches, err := up.SearchContact(ctx, s360.SearchCriteria{Email: nc.Email, FirstName: nc.FirstName, LastName: nc.LastName})
	if err != nil {
		return "", false, err
	}
	id := fmt.Sprint(nc.Identifier)
	for _, m := range matches {
		if m.Identifier != "" {
			if m.Identifier.String() == id {
				return m.ContactNumber, true, nil
			}
			continue
		}
		if !sameNames(m, nc) {
			continue
		}
		created, err := creationDate(ctx, up, m.ContactNumber)
		if err != nil {
			return "", false, err
		}
		if !created.IsZero() && !created.Before(enqueued.Add(-creationSkew)) {
			return m.ContactNumber, true, nil
		}
	}
	return "", false, nil
}

// sameNames compares the names a search returned, when it returned them.
func sameNames(m s360.ContactMatch, nc s360.CulturalContact) bool {
	return (m.FirstName == "" || m.FirstName == nc.FirstName) && (m.LastName == "" || m.LastName == nc.LastName)
}

// creationDate reads a contact's creationDate (zero if S-360 gave none).
func creationDate(ctx context.Context, up Upstream, number string) (time.Time, error) {
	raw, err := up.GetContactData(ctx, number, []string{"GENERAL"})
	if err != nil {
		return time.Time{}, err
	}
	var c struct {
		CreationDate string `json:"creationDate"`
	}
	_ = json.Unmarshal(raw, &c)
	for _, layout := range []string{"2006-01-02T15:04:05.000-07:00", time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700"} {
		if t, err := time.Parse(layout, c.CreationDate); err == nil {
			return t, nil
		}
	}
	return time.Time{}, nil
}

// newCulturalContact is the createCulturalContact entry of a new contact;
// identifier is the job's id, numeric and unique as S-360 wants it.
func newCulturalContact(fields map[string]any, identifier int64) s360.CulturalContact {
	ic, _ := fields["individualContact"].(map[string]any)
	first, _ := ic["firstName"].(string)
	last, _ := ic["lastName"].(string)
	email, _ := fields["email"].(string)
	return s360.CulturalContact{Email: strings.TrimSpace(email), FirstName: first, LastName: last, Identifier: identifier}
}

// contactFields decodes a job's contact and returns its number ("" for a
// new contact).
func contactFields(contact json.RawMessage) (map[string]any, string, error) {
	var fields map[string]any
	dec := json.NewDecoder(strings.NewReader(string(contact)))
	dec.UseNumber()
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return nil, "", fmt.Errorf("contact job payload: contact is not a JSON object")
	}
	number, _ := fields["contactNumber"].(string)
	return fields, number, nil
}

// remainingFields returns the update that carries what createCulturalContact
// does not (anything besides email, firstName and lastName), or nil.
func remainingFields(fields map[string]any, number string) json.RawMessage {
	rest := map[string]any{}
	for k, v := range fields {
		if k == "email" {
			continue
		}
		if k == "individualContact" {
			ic, _ := v.(map[string]any)
			extra := map[string]any{}
			for kk, vv := range ic {
				if kk != "firstName" && kk != "lastName" {
					extra[kk] = vv
				}
			}
			if len(extra) > 0 {
				rest[k] = extra
			}
			continue
		}
		rest[k] = v
	}
	if len(rest) == 0 {
		return nil
	}
	rest["contactNumber"] = number
	b, _ := json.Marshal(rest)
	return b
}
