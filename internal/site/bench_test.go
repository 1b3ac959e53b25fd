package site_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/usher-hub/usher/internal/site/sitetest"
	"github.com/usher-hub/usher/internal/testdb"
)

// BenchmarkEvents measures GET …/events for one day served from usher's
// local copy against the same answer built by asking the Centaman
// simulator each time (?source=centaman: the day's sessions, then each
// session's prices), with no added latency and with 20 ms per Centaman
// call, a hosted system's round trip. The seed keeps a copy for exactly
// this: fewer calls to Centaman and faster pages.
func BenchmarkEvents(b *testing.B) {
	for _, engine := range testdb.Engines {
		for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
			e := sitetest.New(b, sitetest.Options{Engine: engine, Latency: latency})
			e.Sync()
			day := e.Day()
			for _, source := range []string{"copy", "centaman"} {
				name := fmt.Sprintf("engine=%s/latency=%s/source=%s", engine, latency, source)
				path := sitetest.Path("events?date=" + day + "&source=" + source)
				b.Run(name, func(b *testing.B) {
					before := centamanCalls(e)
					for b.Loop() {
						if status, _ := e.Do("GET", path, nil); status != http.StatusOK {
							b.Fatalf("status %d", status)
						}
					}
					b.ReportMetric(float64(centamanCalls(e)-before)/float64(b.N), "centaman-calls/op")
				})
			}
		}
	}
}

func centamanCalls(e *sitetest.Env) int {
	return e.Sim.Calls("TimedTicketType GET") + e.Sim.Calls("TimedTicket GET")
}
