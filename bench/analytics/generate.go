// Package analytics benchmarks usher's venue reports at venue scale: a
// generator bulk-loads a synthetic venue (by default 10 million ticket
// checks and 1 million orders) straight into the raw tables of each
// engine, the projections are rebuilt, and each report is timed through
// the analytics service against the same question asked in plain SQL on
// the raw tables.
//
// Sizes come from the environment so that `make bench` stays short:
// USHER_BENCH_CHECKS (default 100000), USHER_BENCH_ORDERS (default 10000).
// Loaded databases are kept (SQLite files under USHER_BENCH_DIR, Postgres
// databases named after the size on the TEST_DATABASE_URL server) and
// reused by the next run.
package analytics

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// Size says how big a venue to generate.
type Size struct {
	Checks   int
	Orders   int
	Contacts int
	Days     int
}

// Institution is the benchmark venue's code.
const Institution = "benchvenue"

// FirstDay is the first day of the generated venue.
var FirstDay = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)

var (
	products   = []string{"Permanent Collection", "Dinosaurs", "Egypt", "Night at the Museum", "Planetarium", "Family Trail", "Photography", "Modern Masters", "Minerals", "Ocean Life", "Space Station", "Insects", "Robots", "Vikings", "Rome", "Impressionists", "Sculpture Garden", "Archives Tour", "Rooftop", "Late Opening"}
	prices     = []int64{20000, 25000, 18000, 30000, 15000, 12000, 16000, 22000, 14000, 19000, 24000, 11000, 17000, 21000, 23000, 26000, 10000, 9000, 13000, 28000}
	audiences  = []string{"ADULT", "ADULT", "ADULT", "CHILD", "SENIOR", "STUDENT"}
	categories = []string{"OCCASIONAL", "OCCASIONAL", "OCCASIONAL", "MEMBER", "SUBSCRIBER", "INVITED"}
	gates      = []string{"North", "South", "East", "West", "Group entrance", "Staff"}
	reasons    = []string{"NO_MORE_ENTRY_ALLOWED_TODAY", "ALREADY_USED", "INVALID_BARCODE", "WRONG_ENTRANCE", "TICKET_CANCELLED"}
)

// order is one generated order: enough to write its document and to point
// checks at its movements.
type order struct {
	id        int64
	day       int
	state     string
	typ       string
	movements []movement
}

type movement struct {
	id       int64
	product  int
	amount   int64
	audience string
	category string
}

// orderAt generates order i. It depends only on i, so checks can find an
// order's movements without keeping a million orders in memory.
func orderAt(size Size, i int) order {
	r := rand.New(rand.NewPCG(uint64(i), 0x0de7))
	o := order{id: 10_000_000_000 + int64(i), day: i * size.Days / size.Orders, state: "CLOSED", typ: "SALE"}
	switch k := r.IntN(100); {
	case k < 5:
		o.typ = "REFUND"
	case k < 12:
		o.state = "ABANDONNED"
	case k < 15:
		o.typ = "RESERVATION"
	}
	n := 1 + r.IntN(4)
	for m := range n {
		p := r.IntN(len(products))
		amount := prices[p]
		if o.typ == "REFUND" {
			amount = -amount
		}
		o.movements = append(o.movements, movement{id: o.id*10 + int64(m), product: p, amount: amount,
			audience: audiences[r.IntN(len(audiences))], category: categories[r.IntN(len(categories))]})
	}
	return o
}

// json writes the order in the order webhook's shape: one operation per
// movement's product, in thousandths.
func (o order) json() []byte {
	day := FirstDay.AddDate(0, 0, o.day)
	created := day.Add(time.Duration(8*60+int(o.id%600)) * time.Minute).Format("2006-01-02T15:04:05.000+00:00")
	b := fmt.Appendf(nil, `{"orderDetailsData":{"orderId":%d,"orderState":%q,"orderType":%q,"creationDateTime":%q,"closingDateTime":%q,"currencyCode":"CHF","salesChannel":"B2C","operationDatas":[`,
		o.id, o.state, o.typ, created, created)
	for i, m := range o.movements {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"operationId":%d,"kind":"SINGLE_ENTRY","quantity":1,"unitPrice":%d,"productId":%d,"product":%q,"performance":"%s %s","movementDatas":[{"movementId":%d,"movementType":%q,"amount":%d,"audienceSubCategory":%q,"mainCategory":%q,"ticketDatas":[{"ticketId":%d,"barcode":"%024d","ticketState":"VALID"}]}]}`,
			m.id, prices[m.product], 10228231108000+int64(m.product), products[m.product], products[m.product], day.Format("02.01.2006"),
			m.id, movementType(o.typ), m.amount, m.audience, m.category, m.id*10+1, m.id)
	}
	return append(b, "]}}"...)
}

func movementType(orderType string) string {
	if orderType == "REFUND" {
		return "REFUND"
	}
	return "SALE"
}

// created returns the order's upstream time.
func (o order) created() time.Time {
	return FirstDay.AddDate(0, 0, o.day).Add(time.Duration(8*60+int(o.id%600)) * time.Minute)
}

// check is one generated ticket check.
type check struct {
	id         int64
	movementID int64
	at         time.Time
	flow       string
	result     string
	reason     string
	gate       string
}

// checkAt generates check j: it admits a movement of an order sold around
// the same day (2% point at movements usher never receives), mostly IN,
// mostly OK, busiest at opening.
func checkAt(size Size, j int) check {
	r := rand.New(rand.NewPCG(uint64(j), 0xc4ec))
	o := orderAt(size, int(int64(j)*int64(size.Orders)/int64(size.Checks)))
	c := check{id: 20_000_000_000 + int64(j), flow: "IN", result: "OK", reason: "NO_FAIL", gate: gates[r.IntN(len(gates))]}
	c.movementID = o.movements[r.IntN(len(o.movements))].id
	if r.IntN(100) < 2 {
		c.movementID = 990_000_000_000 + int64(j)
	}
	if r.IntN(100) < 40 {
		c.flow = "OUT"
	}
	if r.IntN(100) < 4 {
		c.result, c.reason = "FAIL", reasons[r.IntN(len(reasons))]
	}
	hour := 9 + min(r.IntN(10), r.IntN(10)) // opening hours skew early
	c.at = FirstDay.AddDate(0, 0, o.day).Add(time.Duration(hour)*time.Hour + time.Duration(r.IntN(3600))*time.Second)
	return c
}

func (c check) json() []byte {
	return fmt.Appendf(nil, `{"ticket_check_id":%d,"movement_id":%d,"ticket_id":%d,"barcode":"%024d","access_time":%q,"check_flow":%q,"result":%q,"failure_reason":%q,"gate":%q}`,
		c.id, c.movementID, c.movementID*10+1, c.movementID, c.at.Format("2006-01-02 15:04:05"), c.flow, c.result, c.reason, c.gate)
}

// contactAt generates version v (1 or 2) of contact k; one in five
// contacts has a second version.
func contactAt(size Size, k, v int) (number string, body []byte, updated time.Time, ok bool) {
	r := rand.New(rand.NewPCG(uint64(k), 0xc0de))
	if v == 2 && r.IntN(5) != 0 {
		return "", nil, time.Time{}, false
	}
	created := FirstDay.AddDate(0, 0, k*size.Days/max(size.Contacts, 1)).Add(9 * time.Hour)
	updated = created.AddDate(0, 0, (v-1)*(1+r.IntN(30)))
	typ := "INDIVIDUAL"
	if r.IntN(10) == 0 {
		typ = "STRUCTURE"
	}
	number = strconv.Itoa(3_000_000 + k)
	body = fmt.Appendf(nil, `{"contactNumber":%q,"creationDate":%q,"lastUpdateDate":%q,"role":"PUBLIC","type":%q,"email":"contact%d@example.org"}`,
		number, created.Format("2006-01-02T15:04:05.000+00:00"), updated.Format("2006-01-02T15:04:05.000+00:00"), typ, k)
	return number, body, updated, true
}
