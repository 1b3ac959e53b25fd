package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher/client"
	"github.com/usher-hub/usher/internal/testdb"
)

// TestEchoesAndConflicts follows one contact through the CRM's writes
// and S-360's pushes: the echo of a CRM write (update or create) is
// stored but not sent back to the CRM, S-360's own changes are, and a
// write on top of an S-360 change the CRM had not received yet is a
// conflict whose merged result reaches the CRM.
func TestEchoesAndConflicts(t *testing.T) {
	t.Parallel()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, engine, harnessOptions{})
			n := h.sim.CreateContacts("MYVENUE", 1, func(int) map[string]any {
				return map[string]any{"email": "ann@old.example", "individualContact": map[string]any{"firstName": "Ann", "lastName": "Lee"}}
			})[0]
			doc := "contacts/" + n
			h.push()
			h.settle()

			// The CRM changes the email; S-360 pushes the result back.
			rc := h.saveContact(json.RawMessage(`{"base_version": 1, "contact": {"contactNumber": "`+n+`", "email": "ann@new.example"}}`), "")
			if rc.Conflict {
				t.Fatal("a write on top of the version the CRM holds is no conflict")
			}
			h.settle()
			h.push()
			h.settle()
			if v := h.crm.Versions(doc); !slices.Equal(v, []int{1}) {
				t.Fatalf("CRM received versions %v, want only [1]: version 2 is the echo of its own write", v)
			}
			// The venue has this one contact so far: usher counts its versions.
			if got := h.storedContacts(); got != 2 {
				t.Fatalf("usher holds %d versions, want 2: the echo is stored, S-360 being the truth", got)
			}

			// An S-360 operator changes the contact: that is news for the CRM.
			h.sim.ChangeContact("MYVENUE", n, map[string]any{"individualContact": map[string]any{"firstName": "Annie"}})
			h.push()
			h.settle()
			if v := h.crm.Versions(doc); !slices.Equal(v, []int{1, 3}) {
				t.Fatalf("CRM received versions %v, want [1 3]", v)
			}

			// The CRM creates a contact; it learns the number from the
			// request status, and the echo of the create is not sent back.
			rc = h.saveContact(client.ContactRequest{Reference: "crm-77",
				Contact: map[string]any{"email": "bo@example.org", "individualContact": map[string]any{"lastName": "Bo"}}}, "")
			h.settle()
			created := h.requestResult(rc)
			h.push()
			h.settle()
			if v := h.crm.Versions("contacts/" + created); len(v) != 0 {
				t.Fatalf("CRM received its own created contact back: versions %v", v)
			}

			// Conflict: S-360 changes the phone while the CRM is down, and the
			// CRM, not knowing, changes the email.
			h.crm.SetStatus(http.StatusServiceUnavailable)
			h.sim.ChangeContact("MYVENUE", n, map[string]any{"cellPhoneNumber": "+41 79 111 11 11"})
			h.push()
			rc = h.saveContact(client.ContactRequest{Contact: map[string]any{"contactNumber": n, "email": "ann@crm.example"}}, "")
			if !rc.Conflict {
				t.Fatal("a write while S-360's change is still on its way to the CRM must be a conflict")
			}
			waitUntil(t, time.Minute, "the conflicting write at S-360", func() bool { return h.requestState(rc) == client.JobDone })
			h.crm.SetStatus(http.StatusOK)
			h.push()
			h.settle()
			if v := h.crm.Versions(doc); !slices.Equal(v, []int{1, 3, 4, 5}) {
				t.Fatalf("CRM received versions %v, want [1 3 4 5]: the merged version 5 must reach it", v)
			}
			if last := h.crm.LastBody(doc); !strings.Contains(last, "ann@crm.example") || !strings.Contains(last, "+41 79 111 11 11") {
				t.Fatalf("merged contact %s: want the CRM's email and S-360's phone", last)
			}
			echoes := h.outbox().Extra["echoes"].(map[string]any)
			if echoes["suppressed"] != json.Number("2") {
				t.Fatalf("echo counts %v, want 2 suppressed", echoes)
			}
		})
	}
}

// TestUpstreamDownThenBack: S-360 goes down with writes queued; the
// breaker stops usher hammering it, no write is lost or given up, and
// when S-360 is back the queue drains, each write applied once.
func TestUpstreamDownThenBack(t *testing.T) {
	t.Parallel()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, engine, harnessOptions{cooldown: 200 * time.Millisecond})
			h.sim.SetDown(true)
			h.postContacts(50, 2)
			waitUntil(t, time.Minute, "the breaker to open", func() bool {
				return h.circuit() == "open" && h.sim.Stats("MYVENUE").Refused >= 5
			})
			down := h.sim.Stats("MYVENUE").Refused
			h.sim.SetDown(false)
			waitUntil(t, time.Minute, "the queue to drain", func() bool { return h.sim.ContactCount("MYVENUE") >= 50 })
			h.settle()
			t.Logf("%s: %d calls refused while S-360 was down, for 50 queued writes", engine, down)
			if n := h.sim.ContactCount("MYVENUE"); n != 50 {
				t.Fatalf("S-360 holds %d contacts, want 50", n)
			}
			if failed := h.deliveries("-state", "failed"); len(failed) != 0 {
				t.Fatalf("%d writes were given up during the outage: %+v", len(failed), failed[0])
			}
			if h.circuit() != "closed" {
				t.Fatalf("circuit = %s after recovery, want closed", h.circuit())
			}
		})
	}
}

// TestRetriesNeverWriteTwice: S-360 applies writes but their answers are
// lost (the connection drops). S-360 honours no idempotency header, so
// usher looks the write up before writing again: no contact or booking is
// created twice, and each resolution shows in the job's result. A resent
// CRM request with the same Idempotency-Key is one write.
func TestRetriesNeverWriteTwice(t *testing.T) {
	t.Parallel()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, engine, harnessOptions{contactBatch: 1})
			h.sim.LoseNextAnswers(10)
			h.postContacts(30, 3)
			again := h.saveContact(client.ContactRequest{Reference: "crm-0",
				Contact: map[string]any{"email": "lead0@example.org", "individualContact": map[string]any{"lastName": "Lead0"}}}, "idem-0")
			h.settle()
			st := h.sim.Stats("MYVENUE")
			if h.sim.ContactCount("MYVENUE") != 30 || st.Lost != 10 {
				t.Fatalf("contacts %d, answers lost %d; want 30, 10", h.sim.ContactCount("MYVENUE"), st.Lost)
			}
			if found := h.resolved("found"); found != 10 {
				t.Fatalf("%d writes resolved as found, want the 10 whose answer was lost", found)
			}
			number := h.requestResult(again)
			h.sim.LoseNextAnswers(1)
			booking := client.BookingRequest{ContactNumber: number, OrderType: "OPTION", Reference: "opp-1",
				Items: []client.BookingItem{{ProductCode: "PERMCOL", Quantity: 2}}}
			rc := h.createBooking(booking, "booking-1")
			if rc2 := h.createBooking(booking, "booking-1"); rc2.TrackingID != rc.TrackingID {
				t.Fatal("a resent booking with the same Idempotency-Key must be the same request")
			}
			h.settle()
			if orders := h.sim.Orders("MYVENUE"); len(orders) != 1 || orders[0]["orderState"] != "IN_OPTION" {
				t.Fatalf("S-360 orders = %v, want one option", orders)
			}
			if _, err := h.c.CreateBooking(context.Background(), "myvenue", "booking-1", client.BookingRequest{ContactNumber: number,
				OrderType: "SALE", Items: []client.BookingItem{{ProductCode: "X", Quantity: 1}}}); client.StatusOf(err) != http.StatusConflict {
				t.Fatalf("reusing an Idempotency-Key for another booking: %v, want 409", err)
			}
			if nf := h.sim.NotFound(); len(nf) != 0 {
				t.Fatalf("usher called undocumented methods: %v", nf)
			}
		})
	}
}

// TestRefusedBatchGoesContactByContact: S-360 refuses a createCulturalContact
// call as a whole when one contact is invalid, and creates nothing; usher
// then sends each contact alone, so only the invalid one fails.
func TestRefusedBatchGoesContactByContact(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testdb.Engines[0], harnessOptions{})
	emails := []string{"good1@example.org", "bad@localhost", "good2@example.org"}
	errs := make(chan error, len(emails))
	for i, email := range emails {
		go func() {
			_, err := h.c.SaveContact(context.Background(), "myvenue", fmt.Sprint("batch-", i), client.ContactRequest{
				Contact: map[string]any{"email": email, "individualContact": map[string]any{"lastName": "Batch"}}})
			if err != nil {
				err = fmt.Errorf("%s: %w", email, err)
			}
			errs <- err
		}()
	}
	for range emails {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	h.settle()
	calls := h.sim.Stats("MYVENUE").ByMethod["createCulturalContact"]
	if n := h.sim.ContactCount("MYVENUE"); n != 2 {
		t.Fatalf("S-360 holds %d contacts, want the 2 valid ones", n)
	}
	if failed := h.deliveries("-state", "failed"); len(failed) != 1 || !strings.Contains(fmt.Sprint(failed[0]["last_error"]), "invalid_contact") {
		t.Fatalf("failed jobs %+v, want the invalid contact's alone", failed)
	}
	if calls != 4 {
		t.Fatalf("%d createCulturalContact calls, want 4: one batch refused, then one per contact", calls)
	}
}

// TestLostCreateIsNotTakenForAnOlderTwin: S-360 lets contacts share an
// e-mail, so after a lost create answer the search by e-mail and names
// can find an older contact too. usher takes as its own only the one
// created after its job, never the older twin.
func TestLostCreateIsNotTakenForAnOlderTwin(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testdb.Engines[0], harnessOptions{contactBatch: 1})
	twin := map[string]any{"email": "twin@example.org", "individualContact": map[string]any{"firstName": "Ann", "lastName": "Twin"}}
	old := h.sim.CreateContacts("MYVENUE", 1, func(int) map[string]any { return twin })[0]
	h.sim.BackdateContact("MYVENUE", old, time.Hour)
	h.sim.LoseNextAnswers(1)
	rc := h.saveContact(client.ContactRequest{Contact: twin}, "twin-1")
	h.settle()
	got := h.requestResult(rc)
	all := h.sim.ContactsByEmail("MYVENUE", "twin@example.org")
	if len(all) != 2 || got == old || !slices.Contains(all, got) {
		t.Fatalf("contacts %v, the job says %s (the older twin is %s): want two contacts and the new one the job's", all, got, old)
	}
	if h.resolved("found") != 1 {
		t.Fatal("the lost create must be resolved as found")
	}
}

// TestLostCreateResolvedByIdentifierWhenReturned: if S-360 does return the
// identifier in a search (undocumented; the stand-in's ReturnIdentifier
// switch), usher recognises its contact by it, without reading dates.
func TestLostCreateResolvedByIdentifierWhenReturned(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testdb.Engines[0], harnessOptions{contactBatch: 1, returnIdentifier: true})
	h.sim.LoseNextAnswers(1)
	rc := h.saveContact(client.ContactRequest{Contact: map[string]any{"email": "id@example.org"}}, "id-1")
	h.settle()
	got := h.requestResult(rc)
	st := h.sim.Stats("MYVENUE")
	if all := h.sim.ContactsByEmail("MYVENUE", "id@example.org"); len(all) != 1 || all[0] != got || h.resolved("found") != 1 {
		t.Fatalf("contacts %v, job result %s: want one contact, found by its identifier", all, got)
	}
	if st.ByMethod["getContactData"] != 0 {
		t.Fatalf("%d getContactData calls: with the identifier returned, no date is needed", st.ByMethod["getContactData"])
	}
}

// TestRetriedFromTheDeadLetterIsResolvedFirst: a write whose last attempt
// lost its answer went to the dead letter; an operator retries it with
// fresh attempts. It may have been applied, so usher looks first.
func TestRetriedFromTheDeadLetterIsResolvedFirst(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testdb.Engines[0], harnessOptions{contactBatch: 1, maxAttempts: 1})
	h.sim.LoseNextAnswers(1)
	rc := h.saveContact(client.ContactRequest{Contact: map[string]any{"email": "dead@example.org"}}, "dead-1")
	h.settle()
	if st := h.requestState(rc); st != client.JobFailed {
		t.Fatalf("state %s, want failed after its only attempt lost its answer", st)
	}
	// The operator's command, run beside the server on its database.
	if out, err := exec.Command(usherBin, "deliveries", "retry", "-config", h.cfgPath, "-all").CombinedOutput(); err != nil || !strings.Contains(string(out), "1 failed job(s) queued again") {
		t.Fatalf("deliveries retry: %v\n%s", err, out)
	}
	h.settle()
	if all := h.sim.ContactsByEmail("MYVENUE", "dead@example.org"); len(all) != 1 || h.requestResult(rc) != all[0] {
		t.Fatalf("contacts %v after the retry from the dead letter, want the one the lost attempt made", all)
	}
}
