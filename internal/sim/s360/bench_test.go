package s360

import "testing"

// BenchmarkVenueDay measures the generator: one op is one day of a venue
// at scale 1 (contacts, orders and checks); docs/op says how many.
func BenchmarkVenueDay(b *testing.B) {
	v := NewVenue(VenueConfig{Seed: 1, Start: testStart})
	day, docs := testStart, 0
	for b.Loop() {
		day = day.AddDate(0, 0, 1)
		docs += len(v.Until(day))
	}
	b.ReportMetric(float64(docs)/float64(b.N), "docs/op")
}
