package store

import "testing"

// TestOrderCurrency holds the currency rule to what the engines' SQL
// read before it moved up: orderDetailsData's code first, then the top
// level's, JSON's ->> text of a scalar, nothing of an object.
func TestOrderCurrency(t *testing.T) {
	for body, want := range map[string]string{
		`{"orderDetailsData": {"currencyCode": "CHF"}, "currencyCode": "EUR"}`: "CHF",
		`{"orderDetailsData": {"currencyCode": null}, "currencyCode": "EUR"}`:  "EUR",
		`{"orderDetailsData": "flat", "currencyCode": "EUR"}`:                  "EUR",
		`{"currencyCode": "EUR"}`:          "EUR",
		`{"CurrencyCode": "EUR"}`:          "",
		`{"currencyCode": 978}`:            "978",
		`{"currencyCode": {"iso": "EUR"}}`: "",
		`[]`:                               "",
		``:                                 "",
	} {
		if got := orderCurrency([]byte(body)); got != want {
			t.Errorf("currency of %s = %q, want %q", body, got, want)
		}
	}
}
