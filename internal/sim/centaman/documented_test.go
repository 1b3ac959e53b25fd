package centaman_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	simcentaman "github.com/usher-hub/usher/internal/sim/centaman"
)

// The simulator serves only what Centaman documents: the lookup of a sale
// by payment reference is a 404 (counted) unless its switch is on.
func TestUndocumentedRoutesAreRefusedAndCounted(t *testing.T) {
	for _, on := range []bool{false, true} {
		sim := simcentaman.New(simcentaman.Options{Username: "web", Password: "pw", Seed: 7, Days: 1, UndocumentedLookups: on})
		srv := startSim(t, sim)
		status, _ := get(t, srv+"/ticket_services/TimedTicketTransaction?PaymentReference=p1")
		want, counted := http.StatusNotFound, 1
		if on {
			want, counted = http.StatusOK, 0
		}
		if status != want || len(sim.UndocumentedCalls()) != counted {
			t.Fatalf("switch %v: lookup answered %d with %d undocumented calls counted; want %d and %d",
				on, status, len(sim.UndocumentedCalls()), want, counted)
		}
	}
}

// Member authentication answers as the help page lists: OK with the
// member, Not Found for no such member, Not Acceptable for wrong details,
// Bad Request for neither pair.
func TestAuthenticationAnswersAsDocumented(t *testing.T) {
	sim := simcentaman.New(simcentaman.Options{Username: "web", Password: "pw", Seed: 7, Days: 1})
	srv := startSim(t, sim)
	m := sim.Members()[0]
	for _, c := range []struct {
		body string
		want int
	}{
		{fmt.Sprintf(`{"MemberNumber":%d,"Surname":%q}`, m.MemberNumber, m.LastName), http.StatusOK},
		{fmt.Sprintf(`{"Email":%q,"Password":%q}`, m.Email, simcentaman.MemberPassword(m.MemberNumber)), http.StatusOK},
		{fmt.Sprintf(`{"MemberNumber":%d,"Surname":"Nobody"}`, m.MemberNumber), http.StatusNotAcceptable},
		{`{"MemberNumber":1,"Surname":"Nobody"}`, http.StatusNotFound},
		{fmt.Sprintf(`{"Email":%q,"Password":"wrong-password-123"}`, m.Email), http.StatusNotAcceptable},
		{`{"Surname":"Nobody"}`, http.StatusBadRequest},
	} {
		status, answer := post(t, srv+"/member_services/Authentication", "web", "pw", c.body)
		if status != c.want {
			t.Fatalf("%s: %d %s, want %d", c.body, status, answer, c.want)
		}
	}
}

// A dropped answer is applied first: the sale is recorded though the
// client sees the connection close.
func TestDroppedAnswerIsAppliedFirst(t *testing.T) {
	sim := simcentaman.New(simcentaman.Options{Username: "web", Password: "pw", Seed: 7, Days: 1})
	srv := startSim(t, sim)
	sim.DropAnswers("Ticket POST", 1)
	req, _ := http.NewRequest(http.MethodPost, srv+"/ticket_services/TimedTicket", strings.NewReader(`{"FirstName":"A","LastName":"B","Email":"a@b.org"}`))
	req.SetBasicAuth("web", "pw")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var contact struct{ MemberCode int64 }
	_ = json.NewDecoder(resp.Body).Decode(&contact)
	resp.Body.Close()
	body := fmt.Sprintf(`[{"ItemCode":701,"Quantity":2,"PaymentReference":"p","ItemCost":18,"TotalCost":36,"TransactionDate":"2026-05-01T08:00:00","UserID":%d}]`, contact.MemberCode)
	req, _ = http.NewRequest(http.MethodPost, srv+"/ticket_services/Ticket", strings.NewReader(body))
	req.SetBasicAuth("web", "pw")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the answer was not dropped: %d", resp.StatusCode)
	}
	if sim.GeneralSold() != 2 {
		t.Fatalf("general sold %d, want the 2 applied before the answer was dropped", sim.GeneralSold())
	}
}

// FuzzSimWrites sends arbitrary bodies to the simulator's new write
// routes: it answers JSON, never panics, never a 500.
func FuzzSimWrites(f *testing.F) {
	routes := []string{"/member_services/Authentication", "/ticket_services/Ticket", "/ticket_services/TimedTicketTransaction"}
	for i, seed := range []string{`{"MemberNumber":300000,"Surname":"x"}`, `[{"ItemCode":701,"Quantity":1,"PaymentReference":"p","ItemCost":18,"TotalCost":18,"TransactionDate":"d","UserID":1}]`,
		`[{"TimedTicketTypeId":1001,"Item":[{"ItemCode":601,"Quantity":1,"IsExtraItem":true}]}]`, `null`, `[`, ``} {
		f.Add(uint8(i), []byte(seed))
	}
	sim := simcentaman.New(simcentaman.Options{Username: "web", Password: "pw", Seed: 7, Days: 1})
	srv := startSim(f, sim)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		status, answer := post(t, srv+routes[int(route)%len(routes)], "web", "pw", string(body))
		if status >= 500 || !json.Valid([]byte(answer)) {
			t.Fatalf("%q: %d %s", body, status, answer)
		}
	})
}

// startSim serves sim on loopback and returns its API root.
func startSim(t testing.TB, sim *simcentaman.Sim) string {
	t.Helper()
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return srv.URL + simcentaman.BasePath
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.SetBasicAuth("web", "pw")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}
