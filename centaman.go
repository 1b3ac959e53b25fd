package usher

// The streams of the website layer's local read-only copy of a Centaman
// system. Each is a Document stream stored through SaveDocuments, with the
// Centaman id as ExternalID; usher never edits them, it re-syncs them.
const (
	// StreamCentamanTimedTicketType holds timed ticket types (sessions of
	// an event with Capacity and vacancy), ExternalID = TimedTicketTypeId.
	StreamCentamanTimedTicketType Stream = "centaman.timed_ticket_type"
	// StreamCentamanTimedTickets holds the price list of one session as
	// Centaman returns it (GET ticket_services/TimedTicket?TimedTicketTypeId=,
	// a JSON array), ExternalID = TimedTicketTypeId.
	StreamCentamanTimedTickets Stream = "centaman.timed_ticket"
	// StreamCentamanMember holds member records, ExternalID = MemberCode.
	StreamCentamanMember Stream = "centaman.member"
	// StreamCentamanMembershipType holds the membership types sold online,
	// ExternalID = MembershipCode.
	StreamCentamanMembershipType Stream = "centaman.membership_type"
	// StreamCentamanBooking holds TimedTicketTransaction results (bookings
	// with their barcodes), ExternalID = BookingId.
	StreamCentamanBooking Stream = "centaman.booking"
)

// CentamanDocType returns the schema document type of a Centaman stream.
func CentamanDocType(s Stream) string {
	switch s {
	case StreamCentamanTimedTicketType:
		return DocCentamanTimedTicketType
	case StreamCentamanTimedTickets:
		return DocCentamanTimedTicket
	case StreamCentamanMember:
		return DocCentamanMember
	case StreamCentamanMembershipType:
		return DocCentamanMembershipType
	case StreamCentamanBooking:
		return DocCentamanBooking
	}
	return string(s)
}
