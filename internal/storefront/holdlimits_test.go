package storefront_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"testing"

	"github.com/usher-hub/usher"
)

// visitorFrom is a fresh anonymous visitor (a new cookie) whose
// connections leave from the loopback address local.
func (s shop) visitorFrom(t *testing.T, local string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	c := &http.Client{Jar: jar, Transport: &http.Transport{DialContext: d.DialContext}}
	res, err := c.Get(s.url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return c
}

// bigShop is a shop whose small session has 100 free places.
func bigShop(t *testing.T) (shop, func(n int) []byte, int64) {
	s := newShop(t, "sqlite")
	id, adult, _ := s.env.SmallSession()
	if err := s.env.Sim.SetCapacity(id, s.env.Sim.Sold(id)+100); err != nil {
		t.Fatal(err)
	}
	s.env.Sync()
	return s, func(n int) []byte {
		b, _ := json.Marshal(map[string]any{"event_id": id, "tickets": []usher.HoldLine{{TicketID: adult, Quantity: n}}})
		return b
	}, id
}

// TestStorefrontHoldAbuseIsBounded replays issue 16: ten anonymous
// requests (a new cookie each) held all 100 free tickets of a session.
// Now one address holds at most 40, while a visitor at another address
// can still hold.
func TestStorefrontHoldAbuseIsBounded(t *testing.T) {
	s, holdBody, id := bigShop(t)
	granted := 0
	for range 10 {
		if status, _ := call(t, s.visitorFrom(t, "127.0.0.1"), "POST", s.url+"api/holds", holdBody(10)); status == http.StatusCreated {
			granted++
		}
	}
	if vacancy := s.env.Sim.Vacancy(id); granted > 4 || vacancy < 60 {
		t.Fatalf("ten anonymous requests from one address held %d times 10 tickets (vacancy %d); want at most 40 held", granted, vacancy)
	}
	if status, data := call(t, s.visitorFrom(t, "127.0.0.2"), "POST", s.url+"api/holds", holdBody(2)); status != http.StatusCreated {
		t.Fatalf("a visitor at another address: %d %s", status, data)
	}
}

// TestStorefrontHoldCreationIsRateLimited: at most 10 new holds from one
// address in ten minutes, then 429 with Retry-After.
func TestStorefrontHoldCreationIsRateLimited(t *testing.T) {
	s, holdBody, _ := bigShop(t)
	for n := 1; n <= 20; n++ {
		req, _ := http.NewRequest("POST", s.url+"api/holds", bytesReader(holdBody(1)))
		req.Header.Set("Content-Type", "application/json")
		res, err := s.visitorFrom(t, "127.0.0.1").Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusCreated:
			continue
		case http.StatusTooManyRequests:
			if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 || n != 11 {
				t.Fatalf("hold %d: 429 with Retry-After %q, want the 11th refused with whole seconds", n, res.Header.Get("Retry-After"))
			}
			return
		default:
			t.Fatalf("hold %d: %d", n, res.StatusCode)
		}
	}
	t.Fatal("20 new holds from one address in a minute, none refused with 429")
}
