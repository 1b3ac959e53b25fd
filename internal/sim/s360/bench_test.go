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

// BenchmarkSharedContactBase measures what the API stand-in asks of a
// venue of 30 days at scale 1: a search by e-mail over every contact, and
// a read of a contact changed 100 times through the API (replayed from
// its first change).
func BenchmarkSharedContactBase(b *testing.B) {
	v := NewVenue(VenueConfig{Seed: 1, Start: testStart})
	at := testStart.AddDate(0, 0, 30)
	v.Until(at)
	c := v.contacts[0]
	for range 100 {
		v.ChangeContactAt(c.doc.ContactNumber, at, renameFirst)
	}
	b.Run("search", func(b *testing.B) {
		for b.Loop() {
			v.ContactsByEmailAt("nobody@example.org", at)
		}
		b.ReportMetric(float64(len(v.contacts)), "contacts")
	})
	b.Run("read-after-100-changes", func(b *testing.B) {
		for b.Loop() {
			v.ContactAt(c.doc.ContactNumber, at)
		}
	})
}
