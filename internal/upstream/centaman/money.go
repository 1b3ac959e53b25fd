package centaman

import (
	"math"
	"strconv"
)

// Amount is money as Centaman writes it: a decimal number of currency
// units (TicketPrice 42.56 is 42 dollars 56 cents) [GEM ticket_type.rb,
// CTM-EXTRA]. S-360 writes money as integer thousandths; the two never
// meet as bare numbers: the S-360 client has its own type, and converting
// between them is an explicit step.
type Amount float64

// Cents is an exact amount in hundredths of a currency unit, for sums: a
// float sum of 0.1s drifts, a sum of cents does not.
type Cents int64

// Cents rounds the amount to whole cents.
func (a Amount) Cents() Cents { return Cents(math.Round(float64(a) * 100)) }

// Amount turns cents back into Centaman's form.
func (c Cents) Amount() Amount { return Amount(float64(c) / 100) }

// Times multiplies an amount of cents by a quantity.
func (c Cents) Times(n int) Cents { return c * Cents(n) }

// TaxIn returns the tax inside a tax-inclusive amount at percent (10 for
// 10 %), rounded to the cent; zero when percent is not positive.
func (c Cents) TaxIn(percent float64) Cents {
	if percent <= 0 {
		return 0
	}
	return Amount(float64(c.Amount()) * percent / (100 + percent)).Cents()
}

// String writes the amount with two decimals, as receipts show it.
func (a Amount) String() string { return strconv.FormatFloat(float64(a.Cents().Amount()), 'f', 2, 64) }
