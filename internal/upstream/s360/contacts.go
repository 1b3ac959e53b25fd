package s360

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
)

// The Contact API, ContactInformationPublicService (module tnco), on its
// documented methods only: createCulturalContact, saveIndividualContactData,
// searchContact and getContactData.
const contactService = "contactInformationPublicService"

func (c *Client) contactEndpoint(method string) endpoint {
	return endpoint{module: "tnco", service: contactService, version: c.cfg.ContactVersion, method: method}
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
	if err := c.call(ctx, c.contactEndpoint("getContactData"), req, &out); err != nil {
		return nil, err
	}
	for _, k := range []string{"requestId", "statusCode", "statusDetail", "statusMessage"} {
		delete(out, k)
	}
	return json.Marshal(out)
}

// CulturalContact is one entry of createCulturalContact's contactDataList
// (CulturalContactData): the documented fields of a new contact.
type CulturalContact struct {
	ContactNumber string `json:"contactNumber,omitempty"`
	CreateLogin   bool   `json:"createLogin"`
	Email         string `json:"email"`
	FirstName     string `json:"firstName,omitempty"`
	LastName      string `json:"lastName,omitempty"`
	// Identifier is the caller's numeric id of the contact: the answer's
	// identifierContactMap maps it to the contact number S-360 assigned.
	Identifier int64 `json:"identifier"`
}

// CreateCulturalContact creates contacts in one call and returns, by the
// caller's identifier, the contact number each got. A contact missing
// from the answer was not created.
func (c *Client) CreateCulturalContact(ctx context.Context, contacts []CulturalContact) (map[int64]string, error) {
	var out struct {
		IdentifierContactMap map[string]string `json:"identifierContactMap"`
	}
	req := map[string]any{"contactDataList": contacts}
	if err := c.call(ctx, c.contactEndpoint("createCulturalContact"), req, &out); err != nil {
		return nil, err
	}
	created := make(map[int64]string, len(out.IdentifierContactMap))
	for k, number := range out.IdentifierContactMap {
		id, err := strconv.ParseInt(k, 10, 64)
		if err != nil || number == "" {
			return nil, &CallError{Method: "createCulturalContact", Kind: Permanent, Err: errors.New("identifierContactMap holds an entry that is not identifier → contact number")}
		}
		created[id] = number
	}
	return created, nil
}

// ContactMatch is one contact a search found.
type ContactMatch struct {
	ContactNumber string `json:"contactNumber"`
	Email         string `json:"email,omitempty"`
	FirstName     string `json:"firstName,omitempty"`
	LastName      string `json:"lastName,omitempty"`
	// Identifier is the caller's identifier given at creation, when S-360
	// keeps and returns it (not documented: usher does not rely on it).
	Identifier json.Number `json:"identifier,omitempty"`
}

// SearchCriteria select contacts. S-360 allows many contacts to share an
// e-mail address, so a search by e-mail may find several.
type SearchCriteria struct {
	Email     string `json:"email,omitempty"`
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
}

// SearchContact returns the contacts matching crit.
func (c *Client) SearchContact(ctx context.Context, crit SearchCriteria) ([]ContactMatch, error) {
	var out struct {
		Contacts []ContactMatch `json:"contacts"`
	}
	if err := c.call(ctx, c.contactEndpoint("searchContact"), crit, &out); err != nil {
		return nil, err
	}
	return out.Contacts, nil
}

// SaveResult is what saveIndividualContactData answers.
type SaveResult struct {
	// ContactNumber is the saved contact's number.
	ContactNumber string `json:"contactNumber"`
	// Contact is the contact as S-360 now holds it, when it says.
	Contact json.RawMessage `json:"contact,omitempty"`
}

// SaveIndividualContactData updates an existing contact: the CRM guide's
// method for changes coming from a CRM. contact holds S-360 contact fields
// and its contactNumber; only the fields given change, so sending the same
// update twice leaves the contact as once.
func (c *Client) SaveIndividualContactData(ctx context.Context, contact json.RawMessage) (SaveResult, error) {
	var head struct {
		ContactNumber string `json:"contactNumber"`
	}
	if err := json.Unmarshal(contact, &head); err != nil || head.ContactNumber == "" {
		return SaveResult{}, &CallError{Method: "saveIndividualContactData", Kind: Permanent, Err: errors.New("an update needs the contact's contactNumber")}
	}
	var out struct {
		CulturalContactData []json.RawMessage `json:"culturalContactData"`
	}
	req := map[string]any{"contactData": contact}
	if err := c.call(ctx, c.contactEndpoint("saveIndividualContactData"), req, &out); err != nil {
		return SaveResult{}, err
	}
	res := SaveResult{ContactNumber: head.ContactNumber}
	if len(out.CulturalContactData) > 0 {
		res.Contact = out.CulturalContactData[0]
	}
	return res, nil
}
