package centaman_test

import (
	"testing"

	"github.com/usher-hub/usher/internal/upstream/centaman"
)

// Centaman amounts are decimal currency units: sums go through whole
// cents, so ten 0.10s make exactly 1.00, and tax inside a price rounds
// to the cent.
func TestAmountsSumInCents(t *testing.T) {
	var sum centaman.Cents
	for range 10 {
		sum += centaman.Amount(0.10).Cents()
	}
	if sum != 100 || sum.Amount() != 1 || sum.Amount().String() != "1.00" {
		t.Fatalf("ten 0.10s = %d cents (%s), want 100 (1.00)", sum, sum.Amount())
	}
	if got := centaman.Amount(42.56).Cents(); got != 4256 {
		t.Fatalf("42.56 = %d cents, want 4256", got)
	}
	if tax := centaman.Amount(11.00).Cents().TaxIn(10); tax != 100 {
		t.Fatalf("tax in 11.00 at 10%% = %d cents, want 100", tax)
	}
	if tax := centaman.Cents(500).TaxIn(0); tax != 0 {
		t.Fatalf("tax at 0%% = %d, want 0", tax)
	}
	if got := centaman.Cents(1999).Times(3).Amount().String(); got != "59.97" {
		t.Fatalf("3 × 19.99 = %s, want 59.97", got)
	}
}
