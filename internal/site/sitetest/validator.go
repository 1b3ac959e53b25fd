package sitetest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/schema"
)

// Schemas returns the built-in schema registry: the validator the server
// gives the website layer, overrides aside.
func Schemas(t testing.TB) *schema.Registry {
	t.Helper()
	reg, err := schema.Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// Refusing is a validator that also refuses the sessions named in
// Reject, to test that a refused document is kept out of the copy.
type Refusing struct {
	usher.Validator
	Reject map[int64]bool
}

// Validate implements usher.Validator.
func (v Refusing) Validate(institution, docType string, raw []byte) []usher.Violation {
	out := v.Validator.Validate(institution, docType, raw)
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
