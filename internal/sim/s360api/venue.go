package s360api

import (
	"encoding/json"
	"maps"
	"time"
)

// Venue is the push side sharing the simulator's venue: what is written
// through the API reaches it, so S-360's webhooks push it back, as they
// would for any change in S-360. The simulator calls it with its lock
// held; it must not call back.
type Venue interface {
	// ContactChanged gets a contact as getContactData would return it,
	// after a create or an update.
	ContactChanged(number string, contact json.RawMessage)
	// OrderFinalised gets an order as getOrderDetails would return it,
	// once closed: the order webhook pushes finalised orders only.
	OrderFinalised(orderID string, order json.RawMessage)
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
