package centaman_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	simcentaman "github.com/usher-hub/usher/internal/sim/centaman"
)

func newSim(t *testing.T) (*simcentaman.Sim, *httptest.Server) {
	t.Helper()
	clock := simcentaman.NewClock(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))
	sim := simcentaman.New(simcentaman.Options{Username: "web", Password: "pw", Now: clock.Now, Seed: 7, Days: 1})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return sim, srv
}

func post(t *testing.T, url, user, pass, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.SetBasicAuth(user, pass)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(data))
}

// Holds race on the wire: of 20 concurrent one-ticket holds on a session
// with 5 spots left, exactly 5 get true and vacancy ends at 0.
func TestConcurrentHoldsNeverOversell(t *testing.T) {
	sim, srv := newSim(t)
	s := sim.Sessions("2026-05-01")[0]
	if err := sim.SetCapacity(s.ID, sim.Sold(s.ID)+5); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`[{"TimedTicketTypeId":%d,"TimedTicketId":%d,"NumberOfTickets":1}]`, s.ID, s.TicketIDs[0])
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, answer := post(t, srv.URL+simcentaman.BasePath+"/ticket_services/TimedTicketType", "web", "pw", body)
			mu.Lock()
			defer mu.Unlock()
			if status == http.StatusOK && answer == "true" {
				granted++
			}
		}()
	}
	wg.Wait()
	if granted != 5 || sim.Vacancy(s.ID) != 0 {
		t.Fatalf("granted %d holds, vacancy %d; want 5 and 0", granted, sim.Vacancy(s.ID))
	}
}

func TestWireErrorsUseMessage(t *testing.T) {
	_, srv := newSim(t)
	status, body := post(t, srv.URL+simcentaman.BasePath+"/ticket_services/TimedTicketType", "web", "wrong", `[]`)
	if status != http.StatusUnauthorized || !strings.Contains(body, `"Message"`) {
		t.Fatalf("wrong password: %d %s, want 401 with a Message", status, body)
	}
	status, body = post(t, srv.URL+simcentaman.BasePath+"/ticket_services/TimedTicketType", "web", "pw", `[{"TimedTicketTypeId":1}]`)
	if status != http.StatusBadRequest || !strings.Contains(body, "No timed ticket type matches 1") {
		t.Fatalf("unknown session: %d %s", status, body)
	}
	status, body = post(t, srv.URL+simcentaman.BasePath+"/nothing/here", "web", "pw", `{}`)
	if status != http.StatusNotFound || !strings.Contains(body, "No HTTP resource") {
		t.Fatalf("unknown route: %d %s", status, body)
	}
}

func TestControlSwitchesOutagesAndStaysUp(t *testing.T) {
	sim, _ := newSim(t)
	srv := httptest.NewServer(sim.Server())
	t.Cleanup(srv.Close)
	status, body := post(t, srv.URL+simcentaman.ControlPath+"outage?mode=drop", "", "", "")
	if status != http.StatusOK || !strings.Contains(body, "drop") {
		t.Fatalf("outage on: %d %s", status, body)
	}
	if _, err := http.Get(srv.URL + simcentaman.BasePath + "/member_services/Diagnostics"); err == nil {
		t.Fatal("the API answered during a dropping outage")
	}
	if status, _ := post(t, srv.URL+simcentaman.ControlPath+"outage?mode=sideways", "", "", ""); status != http.StatusBadRequest {
		t.Fatalf("unknown mode: %d", status)
	}
	if status, _ := post(t, srv.URL+simcentaman.ControlPath+"outage?mode=none", "", "", ""); status != http.StatusOK {
		t.Fatalf("outage off: %d", status)
	}
	resp, err := http.Get(srv.URL + simcentaman.BasePath + "/member_services/Diagnostics")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("after the outage: %v", err)
	}
	resp.Body.Close()
}
