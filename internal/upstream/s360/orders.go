package s360

import (
	"context"
	"encoding/json"
	"errors"
)

// Orders go through the external order facade (ExternalOrderFacade,
// module tnseb): createOrUpdateOrder opens an order, and the external
// order service (ExternalOrderService) closes a sale and reads an order's
// external reference.
const (
	orderFacade  = "externalOrderFacade"
	orderService = "externalOrderService"
)

// The order types usher creates: the seeds ask for "sales or simple
// reservations", and an option is a reservation that lapses.
const (
	OrderSale        = "SALE"
	OrderReservation = "RESERVATION"
	OrderOption      = "OPTION"
)

// Booking is a sale, a reservation or an option to create for a contact.
type Booking struct {
	ContactNumber string `json:"contactNumber"`
	// OrderType is SALE, RESERVATION or OPTION.
	OrderType  string             `json:"orderType"`
	Operations []BookingOperation `json:"operations"`
	// ExternalReference is the free string S-360 keeps on the order; usher
	// puts the job's tracking id there, to find the order again when the
	// answer to its creation was lost.
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

// OrderResult is what usher learns of an order it created.
type OrderResult struct {
	OrderID       json.Number `json:"orderId"`
	OrderSecretID string      `json:"orderSecretId,omitempty"`
	OrderState    string      `json:"orderState,omitempty"`
}

// orderRequest is createOrUpdateOrder's input: no orderId, so S-360
// creates the order; purchasersInfo names the contact.
type orderRequest struct {
	PointOfSalesID          int64            `json:"pointOfSalesId"`
	OrderType               string           `json:"orderType"`
	PurchasersInfo          []purchaser      `json:"purchasersInfo"`
	ExternalReference       string           `json:"externalReference,omitempty"`
	SimpleProductOperations []productLine    `json:"simpleProductOperations,omitempty"`
	SingleEntryOperations   []singleEntryOps `json:"singleEntryAttributionOperations,omitempty"`
	ResumeAllOptions        bool             `json:"isResumeAllOptionOperations"`
	ResumeAllReservations   bool             `json:"isResumeAllReservationOperations"`
}

type purchaser struct {
	ContactReference string `json:"contactReference"`
}

type productLine struct {
	ProductID   json.Number `json:"productId,omitempty"`
	ProductCode string      `json:"productCode,omitempty"`
	TariffCode  string      `json:"tariffCode,omitempty"`
	Quantity    int         `json:"quantity"`
}

type singleEntryOps struct {
	OperationAttributions []attribution `json:"operationAttributions"`
}

type attribution struct {
	PerformanceID json.Number `json:"performanceId"`
	ProductID     json.Number `json:"productId,omitempty"`
	Quantity      int         `json:"quantity"`
}

// CreateOrUpdateOrder opens b as a new order at point of sales pos and
// returns its id. It does not close it: see CloseOrder.
func (c *Client) CreateOrUpdateOrder(ctx context.Context, pos int64, b Booking) (OrderResult, error) {
	if pos == 0 {
		return OrderResult{}, &CallError{Method: "createOrUpdateOrder", Kind: Permanent,
			Err: errors.New("pointOfSalesId is required: set s360_api.point_of_sales_id")}
	}
	req := orderRequest{PointOfSalesID: pos, OrderType: b.OrderType, PurchasersInfo: []purchaser{{ContactReference: b.ContactNumber}},
		ExternalReference: b.ExternalReference}
	for _, op := range b.Operations {
		if op.PerformanceID != "" {
			req.SingleEntryOperations = append(req.SingleEntryOperations, singleEntryOps{OperationAttributions: []attribution{
				{PerformanceID: op.PerformanceID, ProductID: op.ProductID, Quantity: op.Quantity}}})
			continue
		}
		req.SimpleProductOperations = append(req.SimpleProductOperations, productLine{ProductID: op.ProductID, ProductCode: op.ProductCode,
			TariffCode: op.TariffCode, Quantity: op.Quantity})
	}
	var out struct {
		OrderUpdateData OrderResult `json:"orderUpdateData"`
	}
	ep := endpoint{module: "tnseb", service: orderFacade, version: c.cfg.OrderVersion, method: "createOrUpdateOrder"}
	if err := c.call(ctx, ep, req, &out); err != nil {
		return OrderResult{}, err
	}
	if out.OrderUpdateData.OrderID == "" {
		return OrderResult{}, &CallError{Method: "createOrUpdateOrder", Kind: Permanent, Err: errors.New("answer holds no orderUpdateData.orderId")}
	}
	return out.OrderUpdateData, nil
}

// CloseOrder closes an order usher opened (a sale). Closing a closed order
// changes nothing, so a close whose answer was lost is simply sent again.
func (c *Client) CloseOrder(ctx context.Context, orderID json.Number) (OrderResult, error) {
	var out struct {
		OrderUpdateData OrderResult `json:"orderUpdateData"`
	}
	ep := endpoint{module: "tnseb", service: orderService, version: c.cfg.OrderVersion, method: "closeOrder"}
	err := c.call(ctx, ep, map[string]any{"orderId": orderID}, &out)
	return out.OrderUpdateData, err
}

// FindOrderByReference returns the order whose external reference is ref,
// and false if S-360 holds none. It is how usher learns whether a create
// whose answer was lost happened.
func (c *Client) FindOrderByReference(ctx context.Context, ref string) (OrderResult, bool, error) {
	var out struct {
		ID         json.Number `json:"id"`
		OrderState string      `json:"orderState"`
	}
	req := map[string]any{"externalReferenceKind": "ORDER", "externalReference": map[string]string{"value": ref}}
	ep := endpoint{module: "tnseb", service: orderService, version: c.cfg.OrderVersion, method: "getExternalReference"}
	if err := c.call(ctx, ep, req, &out); err != nil {
		return OrderResult{}, false, err
	}
	if out.ID == "" {
		return OrderResult{}, false, nil
	}
	return OrderResult{OrderID: out.ID, OrderState: out.OrderState}, true, nil
}
