package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/usher-hub/usher"
)

// RunCRM checks what SaveDocuments does for CRM sync: a delivery job per
// routed destination for every version that becomes current, none for
// duplicates, late old versions or unrouted streams, and none for the
// echo of a write usher made for the CRM.
func RunCRM(t *testing.T, open OpenFunc) {
	routes := []usher.DeliveryRoute{
		{Institution: "myvenue", Stream: usher.StreamContacts, Destination: "crm-a", MaxAttempts: 7},
		{Institution: "myvenue", Stream: usher.StreamContacts, Destination: "crm-b"},
		{Institution: "myvenue", Stream: usher.StreamOrders, Destination: "crm-a"},
	}

	t.Run("QuarantinePathsDeliverToo", func(t *testing.T) {
		t.Parallel()
		// A valid contact stored beside a quarantined one, and a contact
		// released from quarantine by a replay, reach the CRM like any other.
		s := open(t)
		s.RouteDeliveries(routes[:1])
		good := contact(t, "myvenue", "1", "Ann", "2023-02-01T00:00:00.000+00:00")
		bad := quarantined(t, usher.StreamContacts, "2", []byte(`{"contactNumber":"2","email":"x@"}`))
		if _, err := s.SaveDocumentsAndQuarantine(ctx, []usher.Document{good}, []usher.QuarantinedDocument{bad}); err != nil {
			t.Fatal(err)
		}
		if n := len(deliveries(t, s)); n != 1 {
			t.Fatalf("%d deliveries after a payload with a quarantined document, want 1", n)
		}
		q, err := s.FindQuarantined(ctx, usher.QuarantineFilter{Limit: 10})
		if err != nil || len(q) != 1 {
			t.Fatalf("quarantine: %v, %v", q, err)
		}
		fixed := contact(t, "myvenue", "2", "Bea", "2023-02-01T00:00:00.000+00:00")
		if _, released, err := s.ReleaseQuarantined(ctx, q[0].ID, fixed); err != nil || !released {
			t.Fatalf("release: %v %v", released, err)
		}
		if n := len(deliveries(t, s)); n != 2 {
			t.Fatalf("%d deliveries after a replay released a contact, want 2", n)
		}
	})

	t.Run("DeliveriesFollowCurrentVersions", func(t *testing.T) {
		s := fresh(t, open)
		s.RouteDeliveries(routes)
		v1 := contact(t, "myvenue", "3346662", "James", "2023-02-01T00:00:00.000+00:00")
		v2 := contact(t, "myvenue", "3346662", "Jim", "2023-02-02T00:00:00.000+00:00")
		old := contact(t, "myvenue", "3346662", "Jimmy", "2023-01-01T00:00:00.000+00:00")
		other := contact(t, "elsewhere", "1", "Ann", "2023-02-01T00:00:00.000+00:00")
		mustOutcomes(t, s, []usher.Document{v1, v1, other}, usher.OutcomeStored, usher.OutcomeDuplicate, usher.OutcomeStored)
		mustOutcomes(t, s, []usher.Document{v2}, usher.OutcomeStored)
		mustOutcomes(t, s, []usher.Document{old}, usher.OutcomeStored)
		mustOutcomes(t, s, []usher.Document{order(t, "myvenue", 10000702652, "CLOSED", 40000)}, usher.OutcomeStored)
		mustOutcomes(t, s, []usher.Document{check(t, "myvenue", 10228845124401, "2023-02-09 18:25:10", "OK")}, usher.OutcomeStored)

		jobs := deliveries(t, s)
		want := []usher.DeliveryPayload{
			{Destination: "crm-a", Stream: usher.StreamContacts, ExternalID: "3346662", Version: 1, Hash: v1.Hash},
			{Destination: "crm-b", Stream: usher.StreamContacts, ExternalID: "3346662", Version: 1, Hash: v1.Hash},
			{Destination: "crm-a", Stream: usher.StreamContacts, ExternalID: "3346662", Version: 2, Hash: v2.Hash},
			{Destination: "crm-b", Stream: usher.StreamContacts, ExternalID: "3346662", Version: 2, Hash: v2.Hash},
		}
		if len(jobs) != 5 {
			t.Fatalf("%d delivery jobs, want 4 contact versions and 1 order: %v", len(jobs), payloads(t, jobs))
		}
		for i, w := range want {
			if got := payloads(t, jobs[i:i+1])[0]; got != w {
				t.Fatalf("delivery %d = %+v, want %+v", i, got, w)
			}
		}
		if jobs[0].MaxAttempts != 7 || jobs[1].MaxAttempts != usher.DefaultMaxAttempts {
			t.Fatalf("max attempts = %d, %d; want the route's 7 and the default", jobs[0].MaxAttempts, jobs[1].MaxAttempts)
		}
		if jobs[0].OrderKey != jobs[2].OrderKey || jobs[0].OrderKey == jobs[1].OrderKey {
			t.Fatal("versions of a document to one destination must share an order key, and destinations must not")
		}
		if jobs[0].IdempotencyKey == jobs[2].IdempotencyKey {
			t.Fatal("two versions must have two webhook ids")
		}
		doc, head, err := s.DocumentVersion(ctx, "myvenue", usher.StreamContacts, "3346662", 1)
		if err != nil || head != 2 || doc.Hash != v1.Hash {
			t.Fatalf("DocumentVersion = %+v, head %d, %v", doc, head, err)
		}
		if h, _ := usher.HashJSON(doc.Raw); h != v1.Hash {
			t.Fatal("DocumentVersion body differs from the stored document")
		}
		if _, _, err := s.DocumentVersion(ctx, "myvenue", usher.StreamContacts, "3346662", 9); usher.ErrorCode(err) != usher.ENOTFOUND {
			t.Fatalf("missing version: err = %v", err)
		}
		st, err := s.ContactSyncState(ctx, "myvenue", "3346662")
		if err != nil || st.HeadVersion != 2 || st.PendingDeliveries != 4 {
			t.Fatalf("sync state = %+v, %v; want head 2 with 4 pending deliveries", st, err)
		}
	})

	t.Run("EchoOfAnUpdateIsNotDelivered", func(t *testing.T) {
		s := fresh(t, open)
		s.RouteDeliveries(routes)
		v1 := person(t, "42", "ann@old.example", "Ann", "2023-02-01T00:00:00.000+00:00")
		mustOutcomes(t, s, []usher.Document{v1}, usher.OutcomeStored)
		mark(t, s, "42", `{"contactNumber":"42","email":"ann@new.example"}`, 1, 100)
		echo := person(t, "42", "ann@new.example", "Ann", "2023-02-02T00:00:00.000+00:00")
		mustOutcomes(t, s, []usher.Document{echo}, usher.OutcomeStored)
		wantDeliveries(t, s, 2, "only version 1's two: the echo must not go back")
		if got := echoCount(t, s, usher.EchoSuppressed); got != 1 {
			t.Fatalf("suppressed echoes = %d, want 1", got)
		}
		real := person(t, "42", "ann@new.example", "Annie", "2023-02-03T00:00:00.000+00:00")
		mustOutcomes(t, s, []usher.Document{real}, usher.OutcomeStored)
		wantDeliveries(t, s, 4, "a later S-360 change delivered")
	})

	t.Run("ConcurrentS360ChangeIsAConflictAndDelivered", func(t *testing.T) {
		s := fresh(t, open)
		s.RouteDeliveries(routes)
		mustOutcomes(t, s, []usher.Document{person(t, "42", "ann@old.example", "Ann", "2023-02-01T00:00:00.000+00:00")}, usher.OutcomeStored)
		mark(t, s, "42", `{"email":"ann@new.example"}`, 1, 100)
		merged := person(t, "42", "ann@new.example", "Annie", "2023-02-02T00:00:00.000+00:00")
		mustOutcomes(t, s, []usher.Document{merged}, usher.OutcomeStored)
		wantDeliveries(t, s, 4, "the merged version delivered")
		wantEchoes(t, s, usher.EchoConflict, 1)
		if p := payloads(t, deliveries(t, s)[2:3])[0]; !p.Conflict || p.Version != 2 {
			t.Fatalf("delivery of the merged version = %+v, want it flagged as a conflict", p)
		}
	})

	t.Run("EchoOfACreateAndChainedWrites", func(t *testing.T) {
		s := fresh(t, open)
		s.RouteDeliveries(routes)
		mark(t, s, "77", `{"email":"bo@example.org","individualContact":{"firstName":"Bo"}}`, 0, 200)
		mark(t, s, "77", `{"cellPhoneNumber":"+4100"}`, 0, 201)
		created := build(t, "myvenue", usher.StreamContacts, "77", map[string]any{
			"contactNumber": "77", "role": "PUBLIC", "type": "INDIVIDUAL", "email": "bo@example.org",
			"individualContact": map[string]any{"firstName": "Bo", "lastName": "Diddley"},
			"lastUpdateDate":    "2023-02-01T00:00:00.000+00:00",
		}, nil)
		mustOutcomes(t, s, []usher.Document{created}, usher.OutcomeStored)
		second := build(t, "myvenue", usher.StreamContacts, "77", map[string]any{
			"contactNumber": "77", "role": "PUBLIC", "type": "INDIVIDUAL", "email": "bo@example.org",
			"individualContact": map[string]any{"firstName": "Bo", "lastName": "Diddley"}, "cellPhoneNumber": "+4100",
			"lastUpdateDate": "2023-02-01T00:01:00.000+00:00",
		}, nil)
		mustOutcomes(t, s, []usher.Document{second}, usher.OutcomeStored)
		wantDeliveries(t, s, 0, "none: both versions echo the CRM's two writes")
		wantEchoes(t, s, usher.EchoSuppressed, 2)
	})

	t.Run("LateMarkBuildsOnEarlierEchoes", func(t *testing.T) {
		s := fresh(t, open)
		s.RouteDeliveries(routes)
		mustOutcomes(t, s, []usher.Document{person(t, "42", "a@old.example", "Ann", "2023-02-01T00:00:00.000+00:00")}, usher.OutcomeStored)
		// Two CRM writes accepted while usher held version 1; the second is
		// marked only after the first's echo (version 2) was suppressed.
		mark(t, s, "42", `{"email":"a@new.example"}`, 1, 300)
		mustOutcomes(t, s, []usher.Document{person(t, "42", "a@new.example", "Ann", "2023-02-02T00:00:00.000+00:00")}, usher.OutcomeStored)
		mark(t, s, "42", `{"individualContact":{"firstName":"Anna"}}`, 1, 301)
		mustOutcomes(t, s, []usher.Document{person(t, "42", "a@new.example", "Anna", "2023-02-03T00:00:00.000+00:00")}, usher.OutcomeStored)
		wantDeliveries(t, s, 2, "only version 1's: versions 2 and 3 echo the CRM's writes")
		// A foreign change (version 4) breaks the chain for a write based on 1.
		mustOutcomes(t, s, []usher.Document{person(t, "42", "a@other.example", "Anna", "2023-02-04T00:00:00.000+00:00")}, usher.OutcomeStored)
		mark(t, s, "42", `{"individualContact":{"firstName":"Annabel"}}`, 1, 302)
		mustOutcomes(t, s, []usher.Document{person(t, "42", "a@other.example", "Annabel", "2023-02-05T00:00:00.000+00:00")}, usher.OutcomeStored)
		wantDeliveries(t, s, 6, "versions 4 and 5 delivered too")
		wantEchoes(t, s, usher.EchoConflict, 1)
	})

	t.Run("ExpiredMarksAreIgnoredAndPruned", func(t *testing.T) {
		s := fresh(t, open)
		s.RouteDeliveries(routes)
		err := s.MarkEcho(ctx, usher.EchoMark{Institution: "myvenue", ContactNumber: "9", Sent: json.RawMessage(`{"email":"x@y.z"}`),
			JobID: 1, CreatedAt: time.Now().Add(-48 * time.Hour), ExpiresAt: time.Now().Add(-24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		mustOutcomes(t, s, []usher.Document{person(t, "9", "x@y.z", "X", "2023-02-01T00:00:00.000+00:00")}, usher.OutcomeStored)
		wantDeliveries(t, s, 2, "2: an expired mark suppresses nothing")
		if n, err := s.PruneEchoes(ctx, time.Now()); err != nil || n != 1 {
			t.Fatalf("pruned %d, %v; want 1", n, err)
		}
	})
}

func person(t *testing.T, number, email, first, updated string) usher.Document {
	t.Helper()
	u, err := time.Parse(time.RFC3339Nano, updated)
	if err != nil {
		t.Fatal(err)
	}
	return build(t, "myvenue", usher.StreamContacts, number, map[string]any{
		"contactNumber": number, "email": email, "role": "PUBLIC", "type": "INDIVIDUAL",
		"individualContact": map[string]any{"firstName": first, "lastName": "Bond"},
		"lastUpdateDate":    updated,
	}, &u)
}

func mark(t *testing.T, s usher.Store, number, sent string, base int, job int64) {
	t.Helper()
	now := time.Now()
	err := s.MarkEcho(context.Background(), usher.EchoMark{Institution: "myvenue", ContactNumber: number,
		Sent: json.RawMessage(sent), BaseVersion: base, JobID: job, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// Marking the same job again (its retry) must not add a second mark.
	if err := s.MarkEcho(context.Background(), usher.EchoMark{Institution: "myvenue", ContactNumber: number,
		Sent: json.RawMessage(`{}`), JobID: job, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
}

// deliveries returns the delivery jobs, oldest first.
func deliveries(t *testing.T, s usher.Store) []usher.Job {
	t.Helper()
	jobs, err := s.FindJobs(context.Background(), usher.JobFilter{Kind: usher.KindCRMDelivery, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(jobs)-1; i < j; i, j = i+1, j-1 {
		jobs[i], jobs[j] = jobs[j], jobs[i]
	}
	return jobs
}

func payloads(t *testing.T, jobs []usher.Job) []usher.DeliveryPayload {
	t.Helper()
	out := make([]usher.DeliveryPayload, len(jobs))
	for i, j := range jobs {
		if err := json.Unmarshal(j.Payload, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// wantDeliveries fails t unless s holds n delivery jobs; want says which.
func wantDeliveries(t *testing.T, s usher.Store, n int, want string) {
	t.Helper()
	if got := len(deliveries(t, s)); got != n {
		t.Fatalf("%d deliveries, want %s", got, want)
	}
}

// wantEchoes fails t unless s holds n echo marks of outcome.
func wantEchoes(t *testing.T, s usher.Store, outcome usher.EchoOutcome, n int) {
	t.Helper()
	if got := echoCount(t, s, outcome); got != n {
		t.Fatalf("%s marks = %d, want %d", outcome, got, n)
	}
}

func echoCount(t *testing.T, s usher.Store, outcome usher.EchoOutcome) int {
	t.Helper()
	counts, err := s.CountEchoes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range counts {
		if c.Outcome == outcome {
			n += c.Count
		}
	}
	return n
}
