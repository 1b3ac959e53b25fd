package s360_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/sim/s360api"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/upstream/s360"
)

// clock is a test clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type bundle struct {
	url    string
	sim    *s360api.Sim
	client *s360.Client
	store  usher.RateLimitStore
	clock  *clock
}

type options struct {
	simLimit, clientLimit int
	throttleStatus        int
	secret                string
	clientClock           func() time.Time
	maxWait               time.Duration
}

// setup starts the simulator on loopback and a client of it whose rate
// bucket lives in a real SQLite database. Both share a clock that starts
// at the real time (the JWT carries it) and moves only when told.
func setup(t *testing.T, o options) *bundle {
	t.Helper()
	clk := &clock{t: time.Now()}
	if o.simLimit == 0 {
		o.simLimit = 1000
	}
	if o.clientLimit == 0 {
		o.clientLimit = o.simLimit
	}
	if o.secret == "" {
		o.secret = "s3cret"
	}
	sim := s360api.New(s360api.Config{
		Institutions:   []s360api.Institution{{Code: "MYVENUE", Secret: "s3cret"}},
		RateLimit:      o.simLimit,
		RateWindow:     time.Minute,
		ThrottleStatus: o.throttleStatus,
		Now:            clk.Now,
	})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "usher.db"), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := clk.Now
	if o.clientClock != nil {
		now = o.clientClock
	}
	if o.maxWait == 0 {
		o.maxWait = time.Second
	}
	limiter := s360.NewLimiter(st, "s360:MYVENUE", usher.RateLimit{Limit: o.clientLimit, Window: time.Minute}, 0, clk.Now)
	breaker := s360.NewBreaker(3, 30*time.Second, clk.Now)
	client := s360.NewClient(s360.Config{Institution: "MYVENUE", BaseURL: srv.URL, Operator: "MYVENUE_CRM", Partner: "usher",
		Secret: o.secret, MaxWait: o.maxWait}, srv.Client(), s360.InstanceBudget{Limiter: limiter}, breaker, now)
	return &bundle{url: srv.URL, sim: sim, client: client, store: st, clock: clk}
}

func TestContactRoundTrip(t *testing.T) {
	b := setup(t, options{})
	ctx := context.Background()
	created, err := b.client.CreateCulturalContact(ctx, []s360.CulturalContact{
		{Email: "ann@example.org", FirstName: "Ann", LastName: "Lee", Identifier: 41},
		{Email: "bo@example.org", LastName: "Bo", Identifier: 42},
	})
	if err != nil || len(created) != 2 || created[41] == "" || created[42] == "" || created[41] == created[42] {
		t.Fatalf("createCulturalContact = %v, %v; want a contact number per identifier", created, err)
	}
	number := created[41]
	if _, err := b.client.SaveIndividualContactData(ctx, json.RawMessage(`{"contactNumber":"`+number+`","individualContact":{"firstName":"Annie"}}`)); err != nil {
		t.Fatal(err)
	}
	raw, err := b.client.GetContactData(ctx, number, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Email             string            `json:"email"`
		StatusCode        string            `json:"statusCode"`
		IndividualContact map[string]string `json:"individualContact"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.Email != "ann@example.org" || got.IndividualContact["firstName"] != "Annie" || got.IndividualContact["lastName"] != "Lee" {
		t.Fatalf("contact = %s: an update must change only the fields given", raw)
	}
	if got.StatusCode != "" {
		t.Fatal("GetContactData must strip S-360's status fields from the contact")
	}
	found, err := b.client.SearchContact(ctx, s360.SearchCriteria{Email: "ann@example.org", LastName: "Lee"})
	if err != nil || len(found) != 1 || found[0].ContactNumber != number {
		t.Fatalf("search by e-mail and name = %+v, %v", found, err)
	}
	for _, typ := range []string{s360.OrderSale, s360.OrderReservation, s360.OrderOption} {
		order, err := b.client.CreateOrUpdateOrder(ctx, 7, s360.Booking{ContactNumber: number, OrderType: typ, ExternalReference: "ref-" + typ,
			Operations: []s360.BookingOperation{{ProductCode: "PERMCOL", Quantity: 2}}})
		if err != nil || order.OrderID == "" {
			t.Fatalf("%s: order = %+v, %v", typ, order, err)
		}
		again, ok, err := b.client.FindOrderByReference(ctx, "ref-"+typ)
		if err != nil || !ok || again.OrderID != order.OrderID {
			t.Fatalf("%s: lookup by reference = %+v %v %v", typ, again, ok, err)
		}
	}
	if _, ok, err := b.client.FindOrderByReference(ctx, "never-used"); ok || err != nil {
		t.Fatalf("lookup of an unknown reference = %v, %v; want not found", ok, err)
	}
	if len(b.sim.NotFound()) != 0 {
		t.Fatalf("the client called undocumented methods: %v", b.sim.NotFound())
	}
}

// TestOrderNeedsAPointOfSales: pointOfSalesId is mandatory; without one
// the client refuses before calling.
func TestOrderNeedsAPointOfSales(t *testing.T) {
	b := setup(t, options{})
	_, err := b.client.CreateOrUpdateOrder(context.Background(), 0, s360.Booking{ContactNumber: "1", OrderType: s360.OrderSale})
	if kind, _ := s360.KindOf(err); kind != s360.Permanent || b.sim.Requests() != 0 {
		t.Fatalf("err = %v after %d requests, want a permanent error and no call", err, b.sim.Requests())
	}
}

func TestThrottlingPausesTheSharedBucket(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, 509} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			// A client promised more than the instance allows: the
			// simulator throttles the third call.
			b := setup(t, options{simLimit: 2, clientLimit: 6000, throttleStatus: status})
			ctx := context.Background()
			for range 2 {
				if _, err := b.client.SearchContact(ctx, s360.SearchCriteria{Email: "x@y.z"}); err != nil {
					t.Fatal(err)
				}
			}
			_, err := b.client.SearchContact(ctx, s360.SearchCriteria{Email: "x@y.z"})
			kind, retryAt := s360.KindOf(err)
			if kind != s360.Throttled || !retryAt.Equal(b.clock.Now().Add(time.Minute)) {
				t.Fatalf("err = %v (retry at %v), want throttled for the whole window: no Retry-After is documented", err, retryAt)
			}
			st, err := b.store.RateState(ctx, "s360:MYVENUE")
			if err != nil || st.BlockedUntil.Sub(retryAt).Abs() > time.Millisecond {
				t.Fatalf("bucket = %+v, %v: a throttled call must pause the shared bucket for the window", st, err)
			}
			b.clock.Add(59 * time.Second)
			_, err = b.client.SearchContact(ctx, s360.SearchCriteria{Email: "x@y.z"})
			if kind, _ := s360.KindOf(err); kind != s360.Throttled {
				t.Fatalf("59 s later err = %v, want throttled: never retry inside the same window", err)
			}
			_, err = b.client.SearchContact(ctx, s360.SearchCriteria{Email: "x@y.z"})
			if kind, _ := s360.KindOf(err); kind != s360.Throttled {
				t.Fatalf("during the pause err = %v, want throttled", err)
			}
			if got := b.sim.Stats("MYVENUE").Throttled; got != 1 {
				t.Fatalf("simulator refused %d calls, want 1: a paused client must not call", got)
			}
			if b.client.Breaker().State() != s360.BreakerClosed {
				t.Fatal("throttling is not an outage: the breaker must stay closed")
			}
		})
	}
}

func TestBreakerOpensAndRecovers(t *testing.T) {
	b := setup(t, options{})
	ctx := context.Background()
	b.sim.SetDown(true)
	for range 3 {
		if _, err := b.client.SearchContact(ctx, s360.SearchCriteria{Email: "a@b.c"}); err == nil {
			t.Fatal("a call to a down S-360 succeeded")
		}
	}
	calls := b.sim.Stats("MYVENUE").Calls
	_, err := b.client.SearchContact(ctx, s360.SearchCriteria{Email: "a@b.c"})
	kind, retryAt := s360.KindOf(err)
	if kind != s360.Unavailable || !retryAt.Equal(b.clock.Now().Add(30*time.Second)) {
		t.Fatalf("err = %v, want unavailable until the cool-down ends", err)
	}
	if b.sim.Stats("MYVENUE").Calls != calls {
		t.Fatal("an open breaker must not call")
	}
	b.sim.SetDown(false)
	b.clock.Add(31 * time.Second)
	if _, err := b.client.SearchContact(ctx, s360.SearchCriteria{Email: "a@b.c"}); err != nil {
		t.Fatalf("probe after the cool-down: %v", err)
	}
	if b.client.Breaker().State() != s360.BreakerClosed {
		t.Fatal("a successful probe must close the breaker")
	}
}

func TestRejectedCallsArePermanent(t *testing.T) {
	t.Run("UnknownContact", func(t *testing.T) {
		b := setup(t, options{})
		_, err := b.client.SaveIndividualContactData(context.Background(), json.RawMessage(`{"contactNumber":"999","email":"x@y.z"}`))
		var ce *s360.CallError
		if kind, _ := s360.KindOf(err); kind != s360.Permanent || !asCallError(err, &ce) || ce.StatusCode != "contact_not_found" || ce.HTTPStatus != 200 {
			t.Fatalf("err = %v, want permanent contact_not_found", err)
		}
	})
	t.Run("WrongSecret", func(t *testing.T) {
		b := setup(t, options{secret: "wrong"})
		_, err := b.client.SearchContact(context.Background(), s360.SearchCriteria{Email: "x@y.z"})
		if kind, _ := s360.KindOf(err); kind != s360.Permanent {
			t.Fatalf("err = %v, want a permanent 401", err)
		}
	})
	t.Run("ExpiredToken", func(t *testing.T) {
		b := setup(t, options{clientClock: func() time.Time { return time.Now().Add(-time.Hour) }})
		_, err := b.client.SearchContact(context.Background(), s360.SearchCriteria{Email: "x@y.z"})
		var ce *s360.CallError
		if !asCallError(err, &ce) || ce.HTTPStatus != http.StatusUnauthorized {
			t.Fatalf("err = %v, want 401 for a token issued an hour ago", err)
		}
	})
}

func asCallError(err error, target **s360.CallError) bool {
	ce, ok := err.(*s360.CallError)
	if ok {
		*target = ce
	}
	return ok
}

// TestEndpointBudget: under the older rule each service has its own
// budget, so a contact service at its limit does not hold orders back;
// under the current rule one budget covers both.
func TestEndpointBudget(t *testing.T) {
	for _, perEndpoint := range []bool{true, false} {
		b := setup(t, options{})
		limit := usher.RateLimit{Limit: 2, Window: time.Minute}
		var budget s360.Budget = s360.InstanceBudget{Limiter: s360.NewLimiter(b.store, "s360:x", limit, 0, b.clock.Now)}
		if perEndpoint {
			budget = s360.NewEndpointBudget(b.store, "s360:x", limit, 0, b.clock.Now)
		}
		client := s360.NewClient(s360.Config{Institution: "MYVENUE", BaseURL: b.url, Operator: "MYVENUE_CRM", Partner: "usher",
			Secret: "s3cret", MaxWait: time.Second}, http.DefaultClient, budget, s360.NewBreaker(3, time.Second, b.clock.Now), b.clock.Now)
		ctx := context.Background()
		if _, err := client.SearchContact(ctx, s360.SearchCriteria{Email: "a@b.c"}); err != nil {
			t.Fatal(err)
		}
		_, _, err := client.FindOrderByReference(ctx, "r")
		if kind, _ := s360.KindOf(err); perEndpoint && err != nil || !perEndpoint && kind != s360.Throttled {
			t.Fatalf("per endpoint %v: order lookup after a contact search err = %v", perEndpoint, err)
		}
		if _, err := client.SearchContact(ctx, s360.SearchCriteria{Email: "a@b.c"}); err == nil {
			t.Fatalf("per endpoint %v: a second contact call within the interval went", perEndpoint)
		}
	}
}

// TestNoCallInsideAPausedWindow: a call that took its slot before S-360
// throttled another one, and was waiting for it, does not go: the budget
// is paused for the window.
func TestNoCallInsideAPausedWindow(t *testing.T) {
	b := setup(t, options{simLimit: 1, clientLimit: 120, maxWait: 5 * time.Second})
	ctx := context.Background()
	if _, err := b.client.SearchContact(ctx, s360.SearchCriteria{Email: "a@b.c"}); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := b.client.SearchContact(ctx, s360.SearchCriteria{Email: "a@b.c"})
			errs <- err
		}()
	}
	for range 2 {
		if kind, _ := s360.KindOf(<-errs); kind != s360.Throttled {
			t.Fatal("both waiting calls must end throttled")
		}
	}
	if st := b.sim.Stats("MYVENUE"); st.Throttled != 1 || b.sim.Requests() != 2 {
		t.Fatalf("S-360 throttled %d calls of %d requests; want 1 of 2: the second waiting call must not go into the paused window", st.Throttled, b.sim.Requests())
	}
}
