package crm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/upstream/s360"
)

// ContactRequest is the body of POST /api/v1/crm/{institution}/contacts.
type ContactRequest struct {
	// Contact holds S-360 contact fields (email, individualContact,
	// addresses, authorizations …). With a contactNumber it updates that
	// contact, changing only the fields given; without, it creates one.
	Contact json.RawMessage `json:"contact"`
	// Reference is the CRM's own id for the contact. Writes with the same
	// reference run in order, and S-360 maps it to the contact it created.
	Reference string `json:"reference,omitempty"`
	// BaseVersion is the usher document version the CRM last received for
	// this contact (the Usher-Document-Version header of a delivery), if
	// it tracks it: a newer one at usher means both sides changed.
	BaseVersion *int `json:"base_version,omitempty"`
}

// BookingRequest is the body of POST /api/v1/crm/{institution}/bookings.
type BookingRequest struct {
	ContactNumber string `json:"contactNumber"`
	// OrderType is SALE, RESERVATION (a simple reservation) or OPTION (a
	// reservation that lapses unless confirmed).
	OrderType string                  `json:"orderType"`
	Items     []s360.BookingOperation `json:"items"`
	// Reference is the CRM's id for the booking (an opportunity, say).
	Reference string `json:"reference,omitempty"`
}

// contactJob is the payload of a KindS360SaveContact job.
type contactJob struct {
	Contact json.RawMessage `json:"contact"`
	// Identifier is the CRM's reference of the contact, if it gave one
	// (S-360's numeric identifier is the job's id).
	Identifier  string `json:"identifier"`
	BaseVersion int    `json:"base_version"`
	Conflict    bool   `json:"conflict,omitempty"`
}

// bookingJob is the payload of a KindS360CreateBooking job.
type bookingJob struct {
	Booking s360.Booking `json:"booking"`
	// Reference is the CRM's own reference of the booking.
	Reference string `json:"reference,omitempty"`
}

// s360Owned are contact fields only S-360 sets.
var s360Owned = []string{"contactId", "creationDate", "lastUpdateDate", "lastModificationDate", "modificationDate", "updateDate"}

var (
	numberPattern    = regexp.MustCompile(`^[0-9A-Za-z_-]{1,20}$`)
	referencePattern = regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)
)

// decodeStrict decodes body into v, refusing unknown fields and trailing
// data, so a CRM's typo is an error rather than a silently ignored field.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return usher.Errorf(usher.EINVALID, "body: %v", err)
	}
	if dec.More() {
		return usher.Errorf(usher.EINVALID, "body: data after the JSON object")
	}
	return nil
}

// parseContact validates a contact request and returns it with the
// contact's fields and its number ("" for a create).
func parseContact(body []byte) (ContactRequest, map[string]any, string, error) {
	var req ContactRequest
	if err := decodeStrict(body, &req); err != nil {
		return req, nil, "", err
	}
	var fields map[string]any
	dec := json.NewDecoder(bytes.NewReader(req.Contact))
	dec.UseNumber()
	if len(req.Contact) == 0 || dec.Decode(&fields) != nil || fields == nil {
		return req, nil, "", usher.Errorf(usher.EINVALID, "contact must be a JSON object of S-360 contact fields")
	}
	var violations []usher.Violation
	add := func(path, format string, args ...any) {
		violations = append(violations, usher.Violation{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	number, _ := fields["contactNumber"].(string)
	if v, ok := fields["contactNumber"]; ok && !numberPattern.MatchString(number) {
		add("$.contact.contactNumber", "must be S-360's contact number, a string of up to 20 letters or digits, got %v", v)
	}
	for _, k := range s360Owned {
		if _, ok := fields[k]; ok {
			add("$.contact."+k, "is set by S-360 and cannot be written")
		}
	}
	checkContactFields(fields, add)
	if len(fields) == 0 || (len(fields) == 1 && number != "") {
		add("$.contact", "holds no field to write")
	}
	if number == "" && fields["email"] == nil {
		// createCulturalContact needs one, and it is how usher finds the
		// contact again if S-360's answer to the create is lost.
		add("$.contact.email", "a new contact needs an email")
	}
	if req.Reference != "" && !referencePattern.MatchString(req.Reference) {
		add("$.reference", "must be 1-128 printable characters without spaces")
	}
	if req.BaseVersion != nil && *req.BaseVersion < 0 {
		add("$.base_version", "must not be negative")
	}
	if len(violations) > 0 {
		return req, nil, "", &usher.Error{Code: usher.EUNPROCESSABLE, Message: "the contact is not valid", Detail: violations}
	}
	return req, fields, number, nil
}

func checkContactFields(fields map[string]any, add func(path, format string, args ...any)) {
	if v, ok := fields["email"]; ok {
		s, _ := v.(string)
		if _, err := mail.ParseAddress(s); err != nil || len(s) > 254 || strings.ContainsAny(s, "<> ") {
			add("$.contact.email", "must be a plain email address, got %v", v)
		}
	}
	if v, ok := fields["individualContact"]; ok {
		ic, isObj := v.(map[string]any)
		if !isObj {
			add("$.contact.individualContact", "must be an object")
		}
		for _, k := range []string{"firstName", "lastName", "title"} {
			if s, present := ic[k]; present {
				if str, isStr := s.(string); !isStr || len(str) > 100 {
					add("$.contact.individualContact."+k, "must be a string of at most 100 characters")
				}
			}
		}
	}
	for _, k := range []string{"addresses", "authorizations", "contactCriteria"} {
		if v, ok := fields[k]; ok {
			if arr, isArr := v.([]any); !isArr || len(arr) > 50 {
				add("$.contact."+k, "must be an array of at most 50 entries")
			}
		}
	}
}

// parseBooking validates a booking request.
func parseBooking(body []byte) (BookingRequest, error) {
	var req BookingRequest
	if err := decodeStrict(body, &req); err != nil {
		return req, err
	}
	var violations []usher.Violation
	add := func(path, msg string) { violations = append(violations, usher.Violation{Path: path, Message: msg}) }
	if !numberPattern.MatchString(req.ContactNumber) {
		add("$.contactNumber", "must be the S-360 contact number the booking is for")
	}
	switch req.OrderType {
	case s360.OrderSale, s360.OrderReservation, s360.OrderOption:
	default:
		add("$.orderType", "must be SALE, RESERVATION or OPTION")
	}
	if len(req.Items) == 0 || len(req.Items) > 50 {
		add("$.items", "must hold 1 to 50 items")
	}
	for i, it := range req.Items {
		p := fmt.Sprintf("$.items[%d]", i)
		if it.ProductID == "" && it.ProductCode == "" {
			add(p, "needs a productId or a productCode")
		}
		if it.Quantity < 1 || it.Quantity > 1000 {
			add(p+".quantity", "must be between 1 and 1000")
		}
	}
	if req.Reference != "" && !referencePattern.MatchString(req.Reference) {
		add("$.reference", "must be 1-128 printable characters without spaces")
	}
	if len(violations) > 0 {
		return req, &usher.Error{Code: usher.EUNPROCESSABLE, Message: "the booking is not valid", Detail: violations}
	}
	return req, nil
}
