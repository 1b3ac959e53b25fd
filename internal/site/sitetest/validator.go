package sitetest

import (
	"encoding/json"
	"fmt"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/site"
)

// Validator is site.RequiredFields that also refuses the sessions named
// in Reject, to test that a refused document is kept out of the copy.
type Validator struct {
	Reject map[int64]bool
}

// Validate implements usher.Validator.
func (v Validator) Validate(institution, docType string, raw []byte) []usher.Violation {
	out := site.RequiredFields{}.Validate(institution, docType, raw)
	if docType != usher.DocCentamanTimedTicketType || len(out) > 0 {
		return out
	}
	var s struct {
		TimedTicketTypeID int64 `json:"TimedTicketTypeId"`
	}
	if json.Unmarshal(raw, &s) == nil && v.Reject[s.TimedTicketTypeID] {
		out = append(out, usher.Violation{Path: "$.TimedTicketTypeId", Message: fmt.Sprintf("session %d refused by the test", s.TimedTicketTypeID)})
	}
	return out
}
