package s360api

import (
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
)

// createOrder creates an option or a sale for a known contact.
func (s *Sim) createOrder(in *instance, body []byte) (int, map[string]any) {
	var req struct {
		ContactNumber string `json:"contactNumber"`
		OrderType     string `json:"orderType"`
		Operations    []struct {
			ProductID   json.Number `json:"productId"`
			ProductCode string      `json:"productCode"`
			Quantity    int         `json:"quantity"`
		} `json:"operations"`
		ExternalReference string `json:"externalReference"`
	}
	if err := decodeBody(body, &req); err != nil {
		return http.StatusBadRequest, failure("invalid_request", "body is not an order")
	}
	if _, ok := in.contacts[req.ContactNumber]; !ok {
		return http.StatusNotFound, failure("contact_not_found", "no contact "+req.ContactNumber)
	}
	state := map[string]string{"OPTION": "IN_OPTION", "SALE": "CLOSED"}[req.OrderType]
	if state == "" {
		return http.StatusBadRequest, failure("invalid_request", "orderType must be OPTION or SALE")
	}
	if len(req.Operations) == 0 {
		return http.StatusBadRequest, failure("invalid_request", "an order needs operations")
	}
	for _, op := range req.Operations {
		if op.Quantity < 1 || (op.ProductID == "" && op.ProductCode == "") {
			return http.StatusBadRequest, failure("invalid_request", "each operation needs a product and a quantity")
		}
	}
	id := in.nextOrder
	in.nextOrder++
	order := map[string]any{
		"orderId":           json.Number(strconv.FormatInt(id, 10)),
		"orderSecretId":     "S" + strconv.FormatInt(id*7919%1000003, 36),
		"orderState":        state,
		"orderType":         req.OrderType,
		"contactNumber":     req.ContactNumber,
		"externalReference": req.ExternalReference,
	}
	in.orders = append(in.orders, order)
	return http.StatusOK, maps.Clone(order)
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
