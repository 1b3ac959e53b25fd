package site

import (
	"encoding/json"
	"fmt"

	"github.com/usher-hub/usher"
)

// RequiredFields is a small real validator of the Centaman documents the
// website layer uses: every field this package reads must be there with
// the JSON type it expects, so a changed upstream is refused loudly
// instead of misused. It is the validator to use where no schema
// validator (internal/schema) is wired; one may also run both.
type RequiredFields struct{}

// required lists, per document type, the fields the site reads and the
// JSON kind each must have.
var required = map[string]map[string]string{
	usher.DocCentamanTimedTicketType: {"TimedTicketTypeId": "number", "BookingTypeId": "number", "StartDate": "string",
		"StartTime": "string", "EndTime": "string", "Capacity": "number", "vacancy": "number"},
	usher.DocCentamanTimedTicket:    {"TicketId": "number", "TicketDescription": "string", "TicketPrice": "number"},
	usher.DocCentamanMember:         {"MemberCode": "number", "MemberNumber": "number", "Email": "string"},
	usher.DocCentamanMembershipType: {"MembershipCode": "number", "MembershipDescription": "string", "Cost": "number"},
	usher.DocCentamanBooking:        {"BookingId": "number", "Item": "array", "PaymentReference": "string"},
}

// Validate implements usher.Validator.
func (RequiredFields) Validate(_, docType string, raw []byte) []usher.Violation {
	fields, ok := required[docType]
	if !ok {
		return []usher.Violation{{Path: "$", Message: "no schema for " + docType}}
	}
	if docType == usher.DocCentamanTimedTicket {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return []usher.Violation{{Path: "$", Message: "expected an array of price lines"}}
		}
		var out []usher.Violation
		for i, item := range items {
			out = append(out, check(fmt.Sprintf("$[%d]", i), item, fields)...)
		}
		return out
	}
	return check("$", raw, fields)
}

func check(path string, raw []byte, fields map[string]string) []usher.Violation {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return []usher.Violation{{Path: path, Message: "expected an object"}}
	}
	var out []usher.Violation
	for name, kind := range fields {
		got, ok := obj[name]
		if !ok {
			out = append(out, usher.Violation{Path: path + "." + name, Message: "required field is missing"})
			continue
		}
		if k := kindOf(got); k != kind {
			out = append(out, usher.Violation{Path: path + "." + name, Message: fmt.Sprintf("expected %s, got %s", kind, k)})
		}
	}
	return out
}

func kindOf(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}
