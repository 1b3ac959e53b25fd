package s360

import (
	"context"
	"encoding/json"
	"errors"
)

// The Contact API, ContactInformationPublicService (module tnco).
func (c *Client) contactEndpoint(method string) endpoint {
	return endpoint{module: "tnco", service: "contactInformationPublicService", version: c.cfg.ContactVersion, method: method}
}

// DefaultDetails are the contact details usher reads: the ones S-360's
// contact webhook can push.
var DefaultDetails = []string{"GENERAL", "ADDRESSES", "AUTHORIZATIONS", "CRITERIA"}

// GetContactData returns a contact as S-360 describes it (ContactDataResult)
// with the given details, without S-360's status fields.
func (c *Client) GetContactData(ctx context.Context, contactNumber string, details []string) (json.RawMessage, error) {
	if len(details) == 0 {
		details = DefaultDetails
	}
	var out map[string]json.RawMessage
	req := map[string]any{"contactNumber": contactNumber, "details": details}
	if err := c.call(ctx, c.contactEndpoint("getContactData"), "", req, &out); err != nil {
		return nil, err
	}
	for _, k := range []string{"requestId", "statusCode", "statusDetail", "statusMessage"} {
		delete(out, k)
	}
	return json.Marshal(out)
}

// ContactMatch is one contact a search found.
type ContactMatch struct {
	ContactNumber string `json:"contactNumber"`
	Email         string `json:"email,omitempty"`
	Identifier    string `json:"identifier,omitempty"`
}

// SearchCriteria select contacts. S-360 allows many contacts to share an
// email; the identifier is the reference given when usher created them.
type SearchCriteria struct {
	Email      string `json:"email,omitempty"`
	Identifier string `json:"identifier,omitempty"`
}

// SearchContacts returns the contacts matching crit.
func (c *Client) SearchContacts(ctx context.Context, crit SearchCriteria) ([]ContactMatch, error) {
	var out struct {
		Contacts []ContactMatch `json:"contacts"`
	}
	if err := c.call(ctx, c.contactEndpoint("searchContacts"), "", crit, &out); err != nil {
		return nil, err
	}
	return out.Contacts, nil
}

// SaveResult is what saveIndividualContactData answers.
type SaveResult struct {
	// ContactNumber is the saved contact's number (new for a create).
	ContactNumber string `json:"contactNumber"`
	// Contact is the contact as S-360 now holds it.
	Contact json.RawMessage `json:"contact"`
}

// SaveIndividualContactData creates or updates an individual contact.
// contact holds S-360 contact fields; with a contactNumber it updates
// that contact and changes only the fields given. identifier is the
// caller's reference for a new contact (S-360 maps it to the number it
// assigns); idem is the call's idempotency key.
func (c *Client) SaveIndividualContactData(ctx context.Context, contact json.RawMessage, identifier, idem string) (SaveResult, error) {
	var out struct {
		CulturalContactData  []json.RawMessage `json:"culturalContactData"`
		IdentifierContactMap map[string]string `json:"identifierContactMap"`
	}
	req := map[string]any{"contactData": contact}
	if identifier != "" {
		req["identifier"] = identifier
	}
	if err := c.call(ctx, c.contactEndpoint("saveIndividualContactData"), idem, req, &out); err != nil {
		return SaveResult{}, err
	}
	if len(out.CulturalContactData) == 0 {
		return SaveResult{}, &CallError{Method: "saveIndividualContactData", Kind: Permanent, Err: errors.New("answer holds no contact")}
	}
	res := SaveResult{Contact: out.CulturalContactData[0]}
	var head struct {
		ContactNumber string `json:"contactNumber"`
	}
	_ = json.Unmarshal(res.Contact, &head)
	res.ContactNumber = head.ContactNumber
	if res.ContactNumber == "" && identifier != "" {
		res.ContactNumber = out.IdentifierContactMap[identifier]
	}
	return res, nil
}
