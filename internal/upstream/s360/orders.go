package s360

import (
	"context"
	"encoding/json"
)

// Booking is an option or a sale to create in S-360 for a contact.
type Booking struct {
	ContactNumber string `json:"contactNumber"`
	// OrderType is OPTION or SALE.
	OrderType  string             `json:"orderType"`
	Operations []BookingOperation `json:"operations"`
	// Origin names the channel the order comes from.
	Origin string `json:"origin,omitempty"`
	// ExternalReference is the caller's reference for the order.
	ExternalReference string `json:"externalReference,omitempty"`
}

// BookingOperation is one product line of a booking.
type BookingOperation struct {
	ProductID     json.Number `json:"productId,omitempty"`
	ProductCode   string      `json:"productCode,omitempty"`
	PerformanceID json.Number `json:"performanceId,omitempty"`
	TariffCode    string      `json:"tariffCode,omitempty"`
	Quantity      int         `json:"quantity"`
}

// OrderResult is what S-360 answers to a created order.
type OrderResult struct {
	OrderID       json.Number `json:"orderId"`
	OrderSecretID string      `json:"orderSecretId,omitempty"`
	OrderState    string      `json:"orderState,omitempty"`
}

// CreateOrder creates b through ExternalOrderService (module tnseb).
// S-360's page for this method was not available to us; the method name
// and fields follow the documented OrderUpdateData and are usher's
// assumption (see docs/crm.md).
func (c *Client) CreateOrder(ctx context.Context, b Booking, idem string) (OrderResult, error) {
	var out OrderResult
	ep := endpoint{module: "tnseb", service: "externalOrderService", version: c.cfg.OrderVersion, method: "createOrder"}
	err := c.call(ctx, ep, idem, b, &out)
	return out, err
}
