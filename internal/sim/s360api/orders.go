package s360api

import (
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
)

// orderStates are the states an order opened by createOrUpdateOrder is
// in, by order type; a sale is CLOSED once closeOrder ran.
var orderStates = map[string]string{"SALE": "RUNNING", "RESERVATION": "IN_RESERVATION", "OPTION": "IN_OPTION"}

// createOrUpdateOrder opens a new order (no orderId) for the contact named
// in purchasersInfo, at a point of sales.
func (s *Sim) createOrUpdateOrder(in *instance, body []byte) (int, map[string]any) {
	var req struct {
		PointOfSalesID json.Number `json:"pointOfSalesId"`
		OrderID        json.Number `json:"orderId"`
		OrderType      string      `json:"orderType"`
		PurchasersInfo []struct {
			ContactReference string `json:"contactReference"`
		} `json:"purchasersInfo"`
		ExternalReference       string            `json:"externalReference"`
		SimpleProductOperations []json.RawMessage `json:"simpleProductOperations"`
		SingleEntryOperations   []json.RawMessage `json:"singleEntryAttributionOperations"`
	}
	if err := decodeBody(body, &req); err != nil {
		return http.StatusBadRequest, failure("invalid_request", "body is not an order")
	}
	if req.PointOfSalesID == "" {
		return business("invalid_request", "pointOfSalesId is mandatory")
	}
	if req.OrderID != "" {
		return business("not_supported", "the simulator only creates orders")
	}
	state := orderStates[req.OrderType]
	if state == "" {
		return business("invalid_request", "orderType must be SALE, RESERVATION or OPTION in this simulator")
	}
	if len(req.PurchasersInfo) == 0 {
		return business("invalid_request", "purchasersInfo names the contact")
	}
	contact := req.PurchasersInfo[0].ContactReference
	if !s.knownContact(in, contact) {
		return business("contact_not_found", "no contact "+contact)
	}
	if len(req.SimpleProductOperations)+len(req.SingleEntryOperations) == 0 {
		return business("invalid_request", "at least one operation-creation list must be non-null")
	}
	id := strconv.FormatInt(in.nextOrder, 10)
	in.nextOrder++
	order := map[string]any{
		"orderId":           json.Number(id),
		"orderSecretId":     "S" + id,
		"orderState":        state,
		"orderType":         req.OrderType,
		"contactReference":  contact,
		"externalReference": req.ExternalReference,
		"pointOfSalesId":    req.PointOfSalesID,
		"creationDateTime":  s.cfg.Now().UTC().Format(timeLayout),
	}
	in.orders = append(in.orders, order)
	in.orderByID[id] = order
	return http.StatusOK, map[string]any{"orderUpdateData": map[string]any{"orderId": json.Number(id), "orderSecretId": "S" + id, "orderState": state}}
}

// closeOrder closes an open sale; closing it again changes nothing.
func (s *Sim) closeOrder(in *instance, body []byte) (int, map[string]any) {
	var req struct {
		OrderID json.Number `json:"orderId"`
	}
	if err := decodeBody(body, &req); err != nil || req.OrderID == "" {
		return http.StatusBadRequest, failure("invalid_request", "orderId is required")
	}
	o, ok := in.orderByID[req.OrderID.String()]
	if !ok {
		return business("order_not_found", "no order "+req.OrderID.String())
	}
	if o["orderType"] == "SALE" && o["orderState"] != "CLOSED" {
		o["orderState"] = "CLOSED"
		s.orderFinalised(o, s.cfg.Now())
	}
	return http.StatusOK, map[string]any{"orderUpdateData": map[string]any{"orderId": o["orderId"], "orderState": o["orderState"]}}
}

// getExternalReference finds the order whose external reference is the
// value given: no id when there is none.
func (s *Sim) getExternalReference(in *instance, body []byte) (int, map[string]any) {
	var req struct {
		Kind string `json:"externalReferenceKind"`
		Ref  struct {
			Value string `json:"value"`
		} `json:"externalReference"`
	}
	if err := decodeBody(body, &req); err != nil || req.Kind != "ORDER" || req.Ref.Value == "" {
		return http.StatusBadRequest, failure("invalid_request", "give externalReferenceKind ORDER and externalReference.value")
	}
	for _, o := range in.orders {
		if o["externalReference"] == req.Ref.Value {
			return http.StatusOK, map[string]any{"id": o["orderId"], "orderState": o["orderState"]}
		}
	}
	return http.StatusOK, map[string]any{}
}

// Orders returns copies of an institution's orders, oldest first.
func (s *Sim) Orders(code string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.insts[code]
	if !ok {
		return nil
	}
	out := make([]map[string]any, len(in.orders))
	for i, o := range in.orders {
		out[i] = maps.Clone(o)
	}
	return out
}
