package s360api

import (
	"encoding/json"
	"maps"
	"time"
)

// Venue is the push side sharing the simulator's venue: what is written
// through the API reaches it, so S-360's webhooks push it back, as they
// would for any change in S-360; and the venue's own contacts are the
// API's too, as S-360 has one contact base. The simulator calls it with
// its lock held; it must not call back.
type Venue interface {
	// Contact returns a contact of the venue as getContactData would
	// return it now; false when the venue has none of that number.
	Contact(number string) (json.RawMessage, bool)
	// ContactsByEmail returns the venue's contacts whose e-mail is email
	// now (case aside), oldest first.
	ContactsByEmail(email string) []json.RawMessage
	// ChangeContact applies change to a contact of the venue as it is
	// now, queues it for the contact webhook and returns it after the
	// change; false when the venue has none of that number. change may be
	// applied again, to the contact as it was then, whenever the venue
	// replays its history: it must only merge its fields.
	ChangeContact(number string, change func(contact map[string]any)) (json.RawMessage, bool)
	// ContactChanged gets a contact as getContactData would return it,
	// after a create or an update.
	ContactChanged(number string, contact json.RawMessage)
	// OrderFinalised gets an order as getOrderDetails would return it,
	// once closed: the order webhook pushes finalised orders only.
	OrderFinalised(orderID string, order json.RawMessage)
}

// venueContact returns the venue's contact number, if the API runs over a
// venue that has it.
func (s *Sim) venueContact(number string) (map[string]any, bool) {
	if s.cfg.Venue == nil || number == "" {
		return nil, false
	}
	raw, ok := s.cfg.Venue.Contact(number)
	if !ok {
		return nil, false
	}
	c, ok := decodeContact(raw)
	return c, ok
}

// knownContact reports whether number is a contact of the API's own or
// of the venue's.
func (s *Sim) knownContact(in *instance, number string) bool {
	if _, ok := in.contacts[number]; ok {
		return true
	}
	_, ok := s.venueContact(number)
	return ok
}

func decodeContact(raw json.RawMessage) (map[string]any, bool) {
	var c map[string]any
	if err := decodeBody(raw, &c); err != nil || c == nil {
		return nil, false
	}
	return c, true
}

// contactChanged tells the shared venue, if any, of a contact's new state.
func (s *Sim) contactChanged(number string, c map[string]any) {
	if s.cfg.Venue == nil {
		return
	}
	raw, err := json.Marshal(c)
	if err == nil {
		s.cfg.Venue.ContactChanged(number, raw)
	}
}

// orderFinalised tells the shared venue of a closed order, in the order
// webhook's shape (orderDetailsData).
func (s *Sim) orderFinalised(o map[string]any, now time.Time) {
	if s.cfg.Venue == nil {
		return
	}
	at := now.UTC().Format(timeLayout)
	doc := map[string]any{
		"orderId": o["orderId"], "orderState": o["orderState"], "orderType": o["orderType"],
		"creationDateTime": o["creationDateTime"], "closingDateTime": at, "lastUpdateDate": at,
		"saleAmount": 0, "contactNumber": o["contactReference"], "salesChannel": "EXTERNAL_SALE",
	}
	raw, err := json.Marshal(map[string]any{"orderDetailsData": maps.Clone(doc)})
	if err == nil {
		s.cfg.Venue.OrderFinalised(string(o["orderId"].(json.Number)), raw)
	}
}
