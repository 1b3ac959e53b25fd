package load

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/usher-hub/usher"
)

// Payload is one push body of Docs documents of one stream.
type Payload struct {
	Stream usher.Stream
	Body   []byte
	Docs   int
}

// Generator makes realistic S-360 payloads in the shapes of
// testdata/s360/*.json. Every document it makes has an id never made
// before by the same Generator, so a run measures stores, not duplicates.
// It is deterministic for a seed and not safe for concurrent use.
type Generator struct {
	rng  *rand.Rand
	seq  int64
	base time.Time
}

// NewGenerator returns a Generator seeded with seed. Ids derive from the
// seed too, so two generators with different seeds do not collide.
func NewGenerator(seed uint64) *Generator {
	return &Generator{
		rng:  rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		seq:  int64(seed%1000) * 1_000_000_000,
		base: time.Date(2023, 2, 9, 9, 0, 0, 0, time.UTC),
	}
}

// Mix is the share of payloads of each stream. An S-360 export run sends
// at most 2000 ticket checks, 500 contacts and 500 orders, so a venue's
// traffic is about four check payloads for one of each other stream.
var Mix = []usher.Stream{
	usher.StreamTicketChecks, usher.StreamContacts, usher.StreamTicketChecks,
	usher.StreamOrders, usher.StreamTicketChecks, usher.StreamTicketChecks,
}

// Payloads returns n payloads of per documents, streams in Mix order.
func (g *Generator) Payloads(n, per int) []Payload {
	out := make([]Payload, n)
	for i := range out {
		out[i] = g.Payload(Mix[i%len(Mix)], per)
	}
	return out
}

// Payload returns one payload of n new documents of stream.
func (g *Generator) Payload(stream usher.Stream, n int) Payload {
	docs := make([]any, n)
	for i := range docs {
		g.seq++
		switch stream {
		case usher.StreamContacts:
			docs[i] = g.contact()
		case usher.StreamOrders:
			docs[i] = g.order()
		default:
			docs[i] = g.check()
		}
	}
	body, err := json.Marshal(docs)
	if err != nil {
		panic(fmt.Sprintf("load: marshal generated payload: %v", err)) // plain structs always marshal
	}
	return Payload{Stream: stream, Body: body, Docs: n}
}

// ticketCheck is the data-export shape of an access-control check.
type ticketCheck struct {
	TicketCheckID int64  `json:"ticket_check_id"`
	MovementID    int64  `json:"movement_id"`
	TicketID      int64  `json:"ticket_id"`
	Barcode       string `json:"barcode"`
	AccessTime    string `json:"access_time"`
	CheckFlow     string `json:"check_flow"`
	Result        string `json:"result"`
	FailureReason string `json:"failure_reason"`
}

var failureReasons = []string{"NO_MORE_ENTRY_ALLOWED_TODAY", "ALREADY_USED", "UNKNOWN_BARCODE", "OUT_OF_VALIDITY_PERIOD"}

func (g *Generator) check() ticketCheck {
	c := ticketCheck{
		TicketCheckID: 10228845000000 + g.seq,
		MovementID:    10228844000000 + g.seq,
		TicketID:      10228843000000 + g.seq,
		Barcode:       g.digits(24),
		AccessTime:    g.base.Add(time.Duration(g.seq) * 3 * time.Second).Format("2006-01-02 15:04:05"),
		CheckFlow:     "IN",
		Result:        "OK",
		FailureReason: "NO_FAIL",
	}
	if g.rng.IntN(10) == 0 {
		c.CheckFlow = "OUT"
	}
	if g.rng.IntN(20) == 0 {
		c.Result = "FAIL"
		c.FailureReason = failureReasons[g.rng.IntN(len(failureReasons))]
	}
	return c
}

func (g *Generator) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.rng.IntN(10))
	}
	return string(b)
}

// stamp is an ISO-8601 time with an offset, as S-360 webhooks send.
func (g *Generator) stamp(offset time.Duration) string {
	return g.base.Add(offset).Format("2006-01-02T15:04:05.000-07:00")
}
