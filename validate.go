package usher

// Document types name a schema. S-360 types match the push streams;
// Centaman types are the documents the website layer syncs.
const (
	DocS360Contact             = "s360.contact"
	DocS360Order               = "s360.order"
	DocS360TicketCheck         = "s360.ticketcheck"
	DocCentamanMember          = "centaman.member"
	DocCentamanTimedTicketType = "centaman.timed_ticket_type"
	DocCentamanTimedTicket     = "centaman.timed_ticket" // a session's price list, a JSON array
	DocCentamanMembershipType  = "centaman.membership_type"
	DocCentamanBooking         = "centaman.booking"
)

// DocTypeOf returns the schema document type of an S-360 push stream.
func DocTypeOf(s Stream) string {
	switch s {
	case StreamContacts:
		return DocS360Contact
	case StreamOrders:
		return DocS360Order
	case StreamTicketChecks:
		return DocS360TicketCheck
	}
	return string(s)
}

// Violation is one way a document breaks its schema: a JSON path and a
// sentence a person can act on, such as
// {"$.MemberCode", `expected integer, got string "A12"`}.
type Violation struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// Validator checks a document against the schema of its type, as
// configured for its institution. An empty result means valid.
type Validator interface {
	Validate(institution, docType string, raw []byte) []Violation
}
