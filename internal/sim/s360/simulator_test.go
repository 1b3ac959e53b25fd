package s360

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/ingest"
)

// receiver is a push receiver that records every POST and answers with
// the status its answer function chooses.
type receiver struct {
	t      *testing.T
	inst   usher.Institution
	mu     sync.Mutex
	bodies map[usher.Stream][]string
	answer func(st usher.Stream, n int, r *http.Request) int // n counts the stream's POSTs from 1
	srv    *httptest.Server
}

func newReceiver(t *testing.T, inst usher.Institution, answer func(usher.Stream, int, *http.Request) int) *receiver {
	rc := &receiver{t: t, inst: inst, bodies: map[usher.Stream][]string{}, answer: answer}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /s360/{stream}/{institution}", rc.serve)
	rc.srv = httptest.NewServer(mux)
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	st, err := usher.ParseStream(r.PathValue("stream"))
	if err != nil || r.PathValue("institution") != rc.inst.Code {
		http.NotFound(w, r)
		return
	}
	if err := ingest.Authenticate(rc.inst, r); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if _, err := ingest.SplitPayload(body); err != nil || r.Header.Get("Content-Type") != "application/json" {
		rc.t.Errorf("payload is not a JSON array of objects with Content-Type application/json: %v %s", err, body)
	}
	rc.mu.Lock()
	rc.bodies[st] = append(rc.bodies[st], string(body))
	n := len(rc.bodies[st])
	rc.mu.Unlock()
	status := http.StatusOK
	if rc.answer != nil {
		status = rc.answer(st, n, r)
	}
	w.WriteHeader(status)
	fmt.Fprint(w, `{"ignored":"S-360 ignores what the receiver answers"}`)
}

func (rc *receiver) posts(st usher.Stream) []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.bodies[st])
}

// sliceFeed feeds a fixed list of events once.
type sliceFeed struct{ events []Event }

func (f *sliceFeed) Next() ([]Event, bool) {
	out := f.events
	f.events = nil
	return out, true
}

func contactEvents(n int, at time.Time) []Event {
	out := make([]Event, n)
	for i := range out {
		id := fmt.Sprintf("c%03d", i+1)
		out[i] = Event{Stream: usher.StreamContacts, ExternalID: id, At: at, Created: at,
			Raw: json.RawMessage(fmt.Sprintf(`{"contactNumber":%q,"lastUpdateDate":"2023-02-09T10:12:01.118+00:00"}`, id))}
	}
	return out
}

func newTestSim(t *testing.T, cfg PushConfig, feed Feed, logs io.Writer) *Simulator {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	s, err := New(cfg, feed, nil, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// delivered lists the ids in bodies, in the order they were posted.
func delivered(t *testing.T, bodies []string) []string {
	t.Helper()
	var out []string
	for _, b := range bodies {
		items, err := ingest.SplitPayload([]byte(b))
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			doc, err := ingest.Describe("v", usher.StreamContacts, it)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, doc.ExternalID)
		}
	}
	return out
}

func TestRunsRespectBatchAndBucketSizes(t *testing.T) {
	rc := newReceiver(t, usher.Institution{Code: "v"}, nil)
	cfg := PushConfig{Institution: "v", Target: rc.srv.URL, BatchSizes: map[usher.Stream]int{usher.StreamContacts: 7}, BucketSize: 3}
	sim := newTestSim(t, cfg, &sliceFeed{events: contactEvents(17, testStart)}, nil)
	var sizes [][]int
	for !sim.Drained() {
		before := len(rc.posts(usher.StreamContacts))
		sim.RunOnce(context.Background())
		var run []int
		for _, b := range rc.posts(usher.StreamContacts)[before:] {
			run = append(run, len(delivered(t, []string{b})))
		}
		sizes = append(sizes, run)
		if len(sizes) > 10 {
			t.Fatal("not drained after 10 runs")
		}
	}
	want := [][]int{{3, 3, 1}, {3, 3, 1}, {3}}
	if fmt.Sprint(sizes) != fmt.Sprint(want) {
		t.Fatalf("payload sizes per run = %v, want %v (S=7, bs=3)", sizes, want)
	}
	got := delivered(t, rc.posts(usher.StreamContacts))
	if want := ids(itemsOf(contactEvents(17, testStart))); !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v in order", got, want)
	}
	if st := sim.Stats()[usher.StreamContacts]; st.Accepted != 17 || st.Pending != 0 || st.Posts != 7 {
		t.Fatalf("stats = %+v", st)
	}
}

func itemsOf(events []Event) []item {
	out := make([]item, len(events))
	for i, e := range events {
		out[i] = item{id: e.ExternalID, raw: e.Raw}
	}
	return out
}

func TestDefaultsAreTheDocumentedOnes(t *testing.T) {
	sim := newTestSim(t, PushConfig{Institution: "v", Target: "http://127.0.0.1:1"}, &sliceFeed{}, nil)
	cfg := sim.Config()
	if cfg.Interval != 15*time.Minute || cfg.BucketSize != 50 || cfg.MaxTries != 12 ||
		cfg.BatchSizes[usher.StreamContacts] != 500 || cfg.BatchSizes[usher.StreamOrders] != 500 || cfg.BatchSizes[usher.StreamTicketChecks] != 2000 {
		t.Fatalf("defaults = %+v", cfg)
	}
}

// TestFailedPayloadIsResentUnchangedThenGivenUp: anything but a 200 means
// the same payload again at the next run; after 12 tries it is logged as
// given up and never sent again.
func TestFailedPayloadIsResentUnchangedThenGivenUp(t *testing.T) {
	rc := newReceiver(t, usher.Institution{Code: "v"}, func(usher.Stream, int, *http.Request) int { return http.StatusCreated })
	var logs bytes.Buffer
	sim := newTestSim(t, PushConfig{Institution: "v", Target: rc.srv.URL, BucketSize: 2}, &sliceFeed{events: contactEvents(3, testStart)}, &logs)
	for run := 1; run <= 13; run++ {
		sim.RunOnce(context.Background())
		if got := len(rc.posts(usher.StreamContacts)); got != min(run, 12)*2 {
			t.Fatalf("after run %d: %d posts, want %d", run, got, min(run, 12)*2)
		}
	}
	posts := rc.posts(usher.StreamContacts)
	for i := 2; i < len(posts); i++ {
		if posts[i] != posts[i-2] {
			t.Fatalf("retry %d differs from the payload it retries:\n%s\n%s", i, posts[i], posts[i-2])
		}
	}
	st := sim.Stats()[usher.StreamContacts]
	if st.GivenUp != 3 || st.Pending != 0 || st.Accepted != 0 || !sim.Drained() {
		t.Fatalf("stats = %+v, drained %v; want 3 given up", st, sim.Drained())
	}
	if !strings.Contains(logs.String(), "gave up") || !strings.Contains(logs.String(), "c003") {
		t.Fatalf("the given-up contacts are not logged:\n%s", logs.String())
	}
}

func TestPayloadAcceptedAfterFailuresIsNotSentAgain(t *testing.T) {
	rc := newReceiver(t, usher.Institution{Code: "v"}, func(_ usher.Stream, n int, _ *http.Request) int {
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	sim := newTestSim(t, PushConfig{Institution: "v", Target: rc.srv.URL}, &sliceFeed{events: contactEvents(4, testStart)}, nil)
	for range 5 {
		sim.RunOnce(context.Background())
	}
	if n := len(rc.posts(usher.StreamContacts)); n != 3 {
		t.Fatalf("%d posts, want 3 (two failures, one acceptance)", n)
	}
	if st := sim.Stats()[usher.StreamContacts]; st.Accepted != 4 || st.FailedPosts != 2 || !sim.Drained() {
		t.Fatalf("stats = %+v", st)
	}
}

// TestTimeoutCountsAsFailure: a receiver that does not answer within the
// timeout gets the payload again at the next run.
func TestTimeoutCountsAsFailure(t *testing.T) {
	rc := newReceiver(t, usher.Institution{Code: "v"}, func(_ usher.Stream, n int, r *http.Request) int {
		if n == 1 {
			<-r.Context().Done() // never answers: the sender's timeout ends the wait
		}
		return http.StatusOK
	})
	sim := newTestSim(t, PushConfig{Institution: "v", Target: rc.srv.URL, Timeout: 50 * time.Millisecond}, &sliceFeed{events: contactEvents(2, testStart)}, nil)
	sim.RunOnce(context.Background())
	if st := sim.Stats()[usher.StreamContacts]; st.FailedPosts != 1 || st.Pending != 2 {
		t.Fatalf("after a timeout: %+v", st)
	}
	sim.RunOnce(context.Background())
	posts := rc.posts(usher.StreamContacts)
	if len(posts) != 2 || posts[0] != posts[1] || !sim.Drained() {
		t.Fatalf("posts %q, drained %v: want the same payload twice, then drained", posts, sim.Drained())
	}
}

func TestAuthenticationModes(t *testing.T) {
	for _, auth := range []usher.PushAuth{
		{Mode: usher.AuthNone},
		{Mode: usher.AuthBasic, Username: "s360", Secret: "pa55"},
		{Mode: usher.AuthAPIKey, Header: "X-Venue-Key", Secret: "k3y"},
	} {
		t.Run(string(auth.Mode), func(t *testing.T) {
			rc := newReceiver(t, usher.Institution{Code: "v", Auth: auth}, nil)
			sim := newTestSim(t, PushConfig{Institution: "v", Target: rc.srv.URL, Auth: auth}, &sliceFeed{events: contactEvents(1, testStart)}, nil)
			sim.RunOnce(context.Background())
			if st := sim.Stats()[usher.StreamContacts]; st.Accepted != 1 {
				t.Fatalf("not accepted with %s auth: %+v", auth.Mode, st)
			}
			if auth.Mode == usher.AuthNone {
				return
			}
			wrong := auth
			wrong.Secret = "wrong"
			sim = newTestSim(t, PushConfig{Institution: "v", Target: rc.srv.URL, Auth: wrong}, &sliceFeed{events: contactEvents(1, testStart)}, nil)
			sim.RunOnce(context.Background())
			if st := sim.Stats()[usher.StreamContacts]; st.Accepted != 0 || st.FailedPosts != 1 {
				t.Fatalf("accepted with a wrong secret: %+v", st)
			}
		})
	}
}

func TestCutoffSkipsOlderDocuments(t *testing.T) {
	rc := newReceiver(t, usher.Institution{Code: "v"}, nil)
	events := append(contactEvents(3, testStart), contactEvents(2, testStart.AddDate(0, 0, 2))...)
	for i := range events[3:] {
		events[3+i].ExternalID = fmt.Sprintf("late%d", i)
		events[3+i].Raw = json.RawMessage(fmt.Sprintf(`{"contactNumber":"late%d"}`, i))
	}
	sim := newTestSim(t, PushConfig{Institution: "v", Target: rc.srv.URL, Cutoff: testStart.AddDate(0, 0, 1)}, &sliceFeed{events: events}, nil)
	sim.RunOnce(context.Background())
	if got := delivered(t, rc.posts(usher.StreamContacts)); !slices.Equal(got, []string{"late0", "late1"}) {
		t.Fatalf("delivered %v, want only the two documents after the cutoff", got)
	}
	if st := sim.Stats()[usher.StreamContacts]; st.Skipped != 3 || st.Queued != 2 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestDuplicateAndReorderFaults(t *testing.T) {
	rc := newReceiver(t, usher.Institution{Code: "v"}, nil)
	cfg := PushConfig{Institution: "v", Target: rc.srv.URL, BucketSize: 4, Faults: Faults{Duplicate: 1, Reorder: 1}, Seed: 3}
	events := contactEvents(20, testStart)
	sim := newTestSim(t, cfg, &sliceFeed{events: events}, nil)
	for range 3 {
		sim.RunOnce(context.Background())
	}
	got := delivered(t, rc.posts(usher.StreamContacts))
	want := ids(itemsOf(events))
	if len(got) != 2*len(want) {
		t.Fatalf("delivered %d documents, want each of %d twice", len(got), len(want))
	}
	if slices.Equal(got[:len(want)], want) {
		t.Fatal("reorder=1 delivered the documents in their original order")
	}
	sorted := slices.Clone(got)
	slices.Sort(sorted)
	for i, id := range want {
		if sorted[2*i] != id || sorted[2*i+1] != id {
			t.Fatalf("delivered %v, want every one of %v exactly twice", sorted, want)
		}
	}
	if st := sim.Stats()[usher.StreamContacts]; st.Accepted != 20 || st.Duplicates != 5 || !sim.Drained() {
		t.Fatalf("stats = %+v", st)
	}
}

func TestStreamURL(t *testing.T) {
	base := PushConfig{Institution: "myvenue", Target: "http://127.0.0.1:8080/"}
	if got := base.StreamURL(usher.StreamOrders); got != "http://127.0.0.1:8080/s360/orders/myvenue" {
		t.Fatalf("base URL: %s", got)
	}
	tmpl := PushConfig{Institution: "myvenue", Target: "http://127.0.0.1:9/hooks/{institution}/{stream}?v=1"}
	if got := tmpl.StreamURL(usher.StreamTicketChecks); got != "http://127.0.0.1:9/hooks/myvenue/ticketchecks?v=1" {
		t.Fatalf("template: %s", got)
	}
}

// TestRunStopsWhenDrained runs the real loop with a short interval.
func TestRunStopsWhenDrained(t *testing.T) {
	rc := newReceiver(t, usher.Institution{Code: "v"}, nil)
	v := NewVenue(VenueConfig{Seed: 9, Start: testStart, Scale: 0.2})
	until := testStart.AddDate(0, 0, 2)
	feed := Timeline{Venue: v, Clock: func() time.Time { return until }, Until: until}
	sim := newTestSim(t, PushConfig{Institution: "v", Target: rc.srv.URL, Interval: time.Millisecond,
		BatchSizes: map[usher.Stream]int{usher.StreamTicketChecks: 40}}, feed, nil)
	runs := 0
	if err := sim.Run(context.Background(), true, func(RunReport) { runs++ }); err != nil {
		t.Fatal(err)
	}
	want := NewVenue(VenueConfig{Seed: 9, Start: testStart, Scale: 0.2}).Until(until)
	total := 0
	for _, st := range sim.Stats() {
		total += st.Accepted + st.Superseded
	}
	if total != len(want) || runs < 2 {
		t.Fatalf("accepted or superseded %d of %d documents in %d runs", total, len(want), runs)
	}
}

// TestStoppingMidPostDoesNotCostATry: a payload cut short because the
// simulator stops is sent again later without counting a failure.
func TestStoppingMidPostDoesNotCostATry(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	rc := newReceiver(t, usher.Institution{Code: "v"}, func(_ usher.Stream, n int, r *http.Request) int {
		if n == 1 {
			cancel()
			<-r.Context().Done()
		}
		return http.StatusOK
	})
	sim := newTestSim(t, PushConfig{Institution: "v", Target: rc.srv.URL, BucketSize: 1}, &sliceFeed{events: contactEvents(3, testStart)}, nil)
	sim.RunOnce(ctx)
	if st := sim.Stats()[usher.StreamContacts]; st.FailedPosts != 0 || st.Posts != 0 || st.Pending != 3 {
		t.Fatalf("after stopping: %+v, want nothing counted and 3 pending", st)
	}
	sim.RunOnce(context.Background())
	if st := sim.Stats()[usher.StreamContacts]; st.Accepted != 3 || st.FailedPosts != 0 || !sim.Drained() {
		t.Fatalf("after the next run: %+v", st)
	}
}

// TestContactPushCarriesTheContactAsAtTheRun: a contact changed twice
// between two runs is pushed once, as it is at the run: S-360's contact
// webhook sends getContactData's output, not every version.
func TestContactPushCarriesTheContactAsAtTheRun(t *testing.T) {
	var bodies []string
	rc := newReceiver(t, usher.Institution{Code: "v"}, nil)
	v := NewVenue(VenueConfig{Seed: 3, Start: testStart, Scale: 0.1})
	base := testStart.Add(time.Hour)
	for i, email := range []string{"first@example.org", "second@example.org"} {
		raw := json.RawMessage(fmt.Sprintf(`{"contactNumber":"900001","lastUpdateDate":"2023-01-02T0%d:00:00.000+00:00","email":%q}`, i+1, email))
		v.AddExternal(usher.StreamContacts, "900001", base.Add(time.Duration(i)*time.Minute), raw)
	}
	feed := Timeline{Venue: v, Clock: func() time.Time { return base.Add(time.Hour) }, Until: base.Add(time.Hour)}
	sim := newTestSim(t, PushConfig{Institution: "v", Target: rc.srv.URL}, feed, nil)
	sim.RunOnce(context.Background())
	for _, b := range rc.posts(usher.StreamContacts) {
		if strings.Contains(b, "900001") {
			bodies = append(bodies, b)
		}
	}
	if len(bodies) != 1 || !strings.Contains(bodies[0], "second@example.org") || strings.Contains(bodies[0], "first@example.org") {
		t.Fatalf("contact 900001 pushed in %d payloads %v, want once, as it is at the run", len(bodies), bodies)
	}
	if st := sim.Stats()[usher.StreamContacts]; st.Superseded != 1 {
		t.Fatalf("stats %+v, want one superseded version", st)
	}
}

// TestS360OwnDefaults: with S-360's own defaults a contact payload holds
// one contact and a check payload ten checks, and a run stops at 100
// contacts.
func TestS360OwnDefaults(t *testing.T) {
	rc := newReceiver(t, usher.Institution{Code: "v"}, nil)
	var events []Event
	for i := range 120 {
		events = append(events, Event{Stream: usher.StreamContacts, ExternalID: fmt.Sprint(i), Raw: json.RawMessage(fmt.Sprintf(`{"contactNumber":"%d"}`, i))})
	}
	for i := range 25 {
		events = append(events, Event{Stream: usher.StreamTicketChecks, ExternalID: fmt.Sprint(i), Raw: json.RawMessage(fmt.Sprintf(`{"ticket_check_id":%d}`, i))})
	}
	sim := newTestSim(t, PushConfig{Institution: "v", Target: rc.srv.URL, BatchSizes: S360BatchSizes(), BucketSizes: S360BucketSizes()},
		&sliceFeed{events: events}, nil)
	sim.RunOnce(context.Background())
	if n := len(rc.posts(usher.StreamContacts)); n != 100 {
		t.Fatalf("%d contact payloads in the first run, want 100 of one contact each", n)
	}
	if n := len(rc.posts(usher.StreamTicketChecks)); n != 3 {
		t.Fatalf("%d check payloads for 25 checks, want 3 (10, 10, 5)", n)
	}
}
