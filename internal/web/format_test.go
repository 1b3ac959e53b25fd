package web

import (
	"testing"
	"time"

	"github.com/usher-hub/usher/internal/analytics"
)

// Figures are written the venue's way: grouped thousands, its decimal
// mark, the currency on every amount, its date order and time zone.
func TestLocaleFormats(t *testing.T) {
	zurich, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 13, 5, 0, 0, time.UTC)
	for _, tt := range []struct {
		locale                          string
		count, money, refund, num, when string
		hour                            string
	}{
		{"", "1,234,567", "CHF\u00a01,234.50", "CHF\u00a0-12.35", "1,500.25", "2026-12-07 14:05 CET", "2026-12-04, 10:00–11:00"},
		{"de-CH", "1’234’567", "CHF\u00a01’234.50", "CHF\u00a0-12.35", "1’500.25", "07.12.2026 14:05 CET", "04.12.2026, 10:00–11:00"},
		{"de-DE", "1.234.567", "CHF\u00a01.234,50", "CHF\u00a0-12,35", "1.500,25", "07.12.2026 14:05 CET", "04.12.2026, 10:00–11:00"},
		{"en-US", "1,234,567", "CHF\u00a01,234.50", "CHF\u00a0-12.35", "1,500.25", "12/07/2026 2:05 PM CET", "12/04/2026, 10:00 AM–11:00 AM"},
	} {
		l, err := NewLocale(tt.locale, zurich)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{l.Count(1234567), l.Money(analytics.Money(1234500), "CHF"), l.Money(analytics.Money(-12345), "CHF"),
			l.Number(1500.25), l.DateTime(at), l.Hour("2026-12-04T10:00")}
		want := []string{tt.count, tt.money, tt.refund, tt.num, tt.when, tt.hour}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%q: got %q, want %q", tt.locale, got[i], want[i])
			}
		}
	}
	if _, err := NewLocale("xx-YY", nil); err == nil {
		t.Error("an unknown locale must be refused")
	}
	if got := (Locale{}).Count(999); got != "999" {
		t.Errorf("zero Locale: %q", got)
	}
}
