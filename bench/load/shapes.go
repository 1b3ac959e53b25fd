package load

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// contact is the getContactData shape of testdata/s360/contacts.json.
type contact struct {
	ContactNumber   string          `json:"contactNumber"`
	ContactID       int64           `json:"contactId"`
	CreationDate    string          `json:"creationDate"`
	LastUpdateDate  string          `json:"lastUpdateDate"`
	Role            string          `json:"role"`
	Type            string          `json:"type"`
	Individual      *individual     `json:"individualContact,omitempty"`
	Structure       *structure      `json:"structureContact,omitempty"`
	Email           string          `json:"email"`
	CellPhoneNumber string          `json:"cellPhoneNumber,omitempty"`
	Addresses       []address       `json:"addresses"`
	Authorizations  []authorization `json:"authorizations,omitempty"`
}

type individual struct {
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	BirthDate string `json:"birthDate"`
	Title     string `json:"title"`
}

type structure struct {
	Name      string `json:"name"`
	VATNumber string `json:"vatNumber"`
}

type address struct {
	IsMain      bool   `json:"isMain"`
	Street1     string `json:"street1"`
	ZipCode     string `json:"zipCode"`
	City        string `json:"city"`
	CountryCode string `json:"countryCode"`
}

type authorization struct {
	Code  string `json:"code"`
	Value bool   `json:"value"`
}

var (
	firstNames = []string{"James", "Olivia", "Noah", "Emma", "Liam", "Ava", "Lucas", "Mia", "Léa", "Jürg"}
	lastNames  = []string{"Bond", "Smith", "Müller", "Martin", "Rossi", "Dubois", "Meier", "Brown", "Nguyen", "Keller"}
	cities     = []string{"London", "Geneva", "Zürich", "Lausanne", "Sydney", "Paris", "Basel", "Bern"}
	products   = []string{"Permanent Collection", "Temporary Exhibition", "Guided Tour", "Family Pass", "Evening Concert"}
)

func (g *Generator) contact() contact {
	n := g.seq
	first, last := firstNames[g.rng.IntN(len(firstNames))], lastNames[g.rng.IntN(len(lastNames))]
	c := contact{
		ContactNumber:  strconv.FormatInt(3_000_000+n, 10),
		ContactID:      10228100000000 + n,
		CreationDate:   g.stamp(-time.Duration(g.rng.IntN(1000)) * time.Hour),
		LastUpdateDate: g.stamp(time.Duration(n) * time.Second),
		Role:           "PUBLIC",
		Type:           "INDIVIDUAL",
		Email:          fmt.Sprintf("%s.%s.%d@example.org", strings.ToLower(first), strings.ToLower(last), n),
		Addresses: []address{{
			IsMain: true, Street1: fmt.Sprintf("%d Albert Embankment", 1+g.rng.IntN(200)),
			ZipCode: g.digits(4), City: cities[g.rng.IntN(len(cities))], CountryCode: "CH",
		}},
	}
	if g.rng.IntN(10) == 0 {
		c.Type = "STRUCTURE"
		c.Structure = &structure{Name: last + " Exports Ltd", VATNumber: "CHE" + g.digits(9)}
		return c
	}
	c.Individual = &individual{FirstName: first, LastName: last, BirthDate: fmt.Sprintf("19%02d-%02d-%02d", 40+g.rng.IntN(60), 1+g.rng.IntN(12), 1+g.rng.IntN(28)), Title: "MR"}
	c.CellPhoneNumber = "+41" + g.digits(9)
	c.Authorizations = []authorization{{Code: "NEWSLETTER", Value: g.rng.IntN(2) == 0}}
	return c
}

// order is the order-webhook shape of testdata/s360/orders.json.
type order struct {
	Details orderDetails `json:"orderDetailsData"`
}

type orderDetails struct {
	OrderID           int64       `json:"orderId"`
	OrderState        string      `json:"orderState"`
	OrderType         string      `json:"orderType"`
	CreationDateTime  string      `json:"creationDateTime"`
	ClosingDateTime   string      `json:"closingDateTime"`
	ReferenceDate     string      `json:"referenceDate"`
	SaleAmount        int64       `json:"saleAmount"`
	PreSaleAmount     int64       `json:"preSaleAmount"`
	ReservationAmount int64       `json:"reservationAmount"`
	CurrencyCode      string      `json:"currencyCode"`
	SalesChannel      string      `json:"salesChannel"`
	ContactNumber     string      `json:"contactNumber"`
	Operations        []operation `json:"operationDatas"`
}

type operation struct {
	OperationID   int64      `json:"operationId"`
	Kind          string     `json:"kind"`
	Quantity      int        `json:"quantity"`
	BasePrice     int64      `json:"basePrice"`
	UnitPrice     int64      `json:"unitPrice"`
	ProductID     int64      `json:"productId"`
	Product       string     `json:"product"`
	PerformanceID int64      `json:"performanceId"`
	Performance   string     `json:"performance"`
	Movements     []movement `json:"movementDatas"`
}

type movement struct {
	MovementID          int64    `json:"movementId"`
	MovementType        string   `json:"movementType"`
	Amount              int64    `json:"amount"`
	AudienceSubCategory string   `json:"audienceSubCategory"`
	MainCategory        string   `json:"mainCategory"`
	Tickets             []ticket `json:"ticketDatas"`
}

type ticket struct {
	TicketID    int64  `json:"ticketId"`
	Barcode     string `json:"barcode"`
	TicketState string `json:"ticketState"`
}

// order makes an order of one to three operations of one to four
// tickets each, the sizes of a museum's counter and web sales.
func (g *Generator) order() order {
	n := g.seq
	created := time.Duration(n) * time.Second
	d := orderDetails{
		OrderID: 10000700000 + n, OrderState: "CLOSED", OrderType: "SALE",
		CreationDateTime: g.stamp(created), ClosingDateTime: g.stamp(created + 2*time.Minute),
		ReferenceDate: g.stamp(-9 * time.Hour), CurrencyCode: "CHF", SalesChannel: "B2C",
		ContactNumber: strconv.FormatInt(3_000_000+int64(g.rng.IntN(int(n)+1)), 10),
	}
	if g.rng.IntN(20) == 0 {
		d.OrderState = "ABANDONNED"
	}
	for op := range 1 + g.rng.IntN(3) {
		d.Operations = append(d.Operations, g.operation(n*10+int64(op)))
	}
	for _, op := range d.Operations {
		d.SaleAmount += int64(op.Quantity) * op.UnitPrice
	}
	return order{Details: d}
}

func (g *Generator) operation(id int64) operation {
	product := g.rng.IntN(len(products))
	price := int64(10000 + 5000*product)
	op := operation{
		OperationID: 10228310000000 + id, Kind: "SINGLE_ENTRY", Quantity: 1 + g.rng.IntN(4),
		BasePrice: price, UnitPrice: price, ProductID: 10228231100000 + int64(product),
		Product: products[product], PerformanceID: 10228231109000 + int64(product),
		Performance: products[product] + " " + g.base.Format("02.01.2006"),
	}
	for m := range op.Quantity {
		mid := 10228844000000 + id*10 + int64(m)
		op.Movements = append(op.Movements, movement{
			MovementID: mid, MovementType: "SALE", Amount: price,
			AudienceSubCategory: "ADULT", MainCategory: "OCCASIONAL",
			Tickets: []ticket{{TicketID: mid - 15000000, Barcode: g.digits(24), TicketState: "VALID"}},
		})
	}
	return op
}
