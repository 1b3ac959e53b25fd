package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/testdb"
)

// A group is stored as one transaction whose outcome for each payload is
// the one it would have had stored alone, after the payloads before it:
// a check another payload of the group brought first is a duplicate, a
// contact changed by a later payload gets the next version, and each
// document keeps its own payload's received time.
func TestGroupStoresPayloadsAsOneTransactionInTheirOrder(t *testing.T) {
	s, g := openGroupless(t)
	first := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	second := first.Add(time.Second)
	a := pending(first, groupCheck(t, 1), groupCheck(t, 2), groupContact(t, "c1", "Ann"))
	b := pending(second, groupCheck(t, 2), groupCheck(t, 3), groupContact(t, "c1", "Anna"), groupContact(t, "c2", "Bob"))

	g.store([]*pendingSave{a, b})

	for name, p := range map[string]*pendingSave{"first": a, "second": b} {
		if err := <-p.done; err != nil {
			t.Fatalf("%s payload: %v", name, err)
		}
	}
	stored, dup := usher.OutcomeStored, usher.OutcomeDuplicate
	if want := []usher.Outcome{stored, stored, stored}; !slices.Equal(a.outcomes, want) {
		t.Errorf("first payload's outcomes %v, want %v", a.outcomes, want)
	}
	if want := []usher.Outcome{dup, stored, stored, stored}; !slices.Equal(b.outcomes, want) {
		t.Errorf("second payload's outcomes %v, want %v", b.outcomes, want)
	}
	ctx := context.Background()
	var transactions int
	if err := s.pool.QueryRow(ctx, `SELECT count(DISTINCT xmin::text) FROM
		(SELECT xmin FROM ticket_checks UNION ALL SELECT xmin FROM documents) rows`).Scan(&transactions); err != nil {
		t.Fatal(err)
	}
	if transactions != 1 {
		t.Errorf("the group was stored in %d transactions, want 1", transactions)
	}
	for _, c := range []struct {
		id   int64
		want time.Time
	}{{2, first}, {3, second}} {
		var got time.Time
		if err := s.pool.QueryRow(ctx, `SELECT received_at FROM ticket_checks WHERE ticket_check_id = $1`, c.id).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(c.want) {
			t.Errorf("check %d received at %v, want %v (its first payload's)", c.id, got, c.want)
		}
	}
	var head int
	if err := s.pool.QueryRow(ctx, `SELECT version FROM document_heads WHERE external_id = 'c1'`).Scan(&head); err != nil {
		t.Fatal(err)
	}
	if head != 2 {
		t.Errorf("contact c1's head is version %d, want 2 (the second payload's)", head)
	}
}

// When the database refuses one payload of a group, the group is stored
// again payload by payload: only the payload at fault fails, and nothing
// of it stays.
func TestGroupRefusedPayloadFailsAlone(t *testing.T) {
	s, g := openGroupless(t)
	now := time.Now().UTC()
	bad := groupContact(t, "c2", "Bad")
	bad.Raw = json.RawMessage(`{"contactNumber": "c2", "broken": `)
	group := []*pendingSave{
		pending(now, groupCheck(t, 1), groupContact(t, "c1", "Ann")),
		pending(now, groupCheck(t, 2), bad),
		pending(now, groupCheck(t, 3)),
	}

	g.store(group)

	for i, p := range group {
		err := <-p.done
		if (err != nil) != (i == 1) {
			t.Fatalf("payload %d: err = %v; only payload 1 holds a refused document", i, err)
		}
	}
	var checks []int64
	rows, err := s.pool.Query(context.Background(), `SELECT ticket_check_id FROM ticket_checks ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		checks = append(checks, id)
	}
	if want := []int64{1, 3}; !slices.Equal(checks, want) {
		t.Errorf("stored checks %v, want %v: the refused payload's check must go with it", checks, want)
	}
}

// A payload whose caller left before a worker took it is not stored.
func TestGroupSkipsAPayloadWhoseCallerLeft(t *testing.T) {
	s, g := openGroupless(t)
	left := pending(time.Now(), groupCheck(t, 1))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	left.ctx = ctx
	staying := pending(time.Now(), groupCheck(t, 2))

	g.store([]*pendingSave{left, staying})

	if err := <-left.done; usher.ErrorCode(err) != usher.EUNAVAILABLE {
		t.Errorf("a payload whose caller left: err %v, want %s", err, usher.EUNAVAILABLE)
	}
	if err := <-staying.done; err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM ticket_checks`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d checks stored, want only the staying payload's", n)
	}
}

// openGroupless opens a store on a new database and a groupSaver with no
// workers, whose groups the test makes.
func openGroupless(t *testing.T) (*Store, *groupSaver) {
	t.Helper()
	s, err := Open(context.Background(), testdb.Postgres(t), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	g := newGroupSaver(s.pool, 0)
	t.Cleanup(g.close)
	return s, g
}

func pending(received time.Time, docs ...usher.Document) *pendingSave {
	return &pendingSave{ctx: context.Background(), docs: docs, received: received,
		outcomes: make([]usher.Outcome, len(docs)), done: make(chan error, 1)}
}

func groupCheck(t *testing.T, id int64) usher.Document {
	t.Helper()
	at := time.Date(2023, 2, 9, 18, 25, 10, 0, time.UTC)
	raw := fmt.Sprintf(`{"ticket_check_id":%d,"movement_id":7,"ticket_id":8,"barcode":"0722","access_time":"2023-02-09 18:25:10","check_flow":"IN","result":"OK","failure_reason":"NO_FAIL"}`, id)
	d := groupDocument(t, usher.StreamTicketChecks, fmt.Sprint(id), raw, &at)
	d.Check = &usher.TicketCheck{TicketCheckID: id, MovementID: 7, TicketID: 8, Barcode: "0722", AccessTime: at,
		CheckFlow: "IN", Result: "OK", FailureReason: "NO_FAIL"}
	return d
}

func groupContact(t *testing.T, number, first string) usher.Document {
	t.Helper()
	return groupDocument(t, usher.StreamContacts, number,
		fmt.Sprintf(`{"contactNumber":%q,"individualFirstname":%q}`, number, first), nil)
}

func groupDocument(t *testing.T, stream usher.Stream, id, raw string, updated *time.Time) usher.Document {
	t.Helper()
	h, err := usher.HashJSON([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return usher.Document{Institution: "myvenue", Stream: stream, ExternalID: id, Hash: h, Raw: json.RawMessage(raw),
		UpstreamUpdatedAt: updated}
}

// A group first goes with the optimistic statements; when one of its
// documents is stored already they fail, nothing of the group stays, and it
// is stored again tolerating the duplicate, as are the next tolerantGroups
// groups. The analytics queue holds each new check once.
func TestOptimisticGroupFallsBackOnAStoredDocument(t *testing.T) {
	s, g := openGroupless(t)
	now := time.Now().UTC()
	storeOne := func(name string, p *pendingSave, want ...usher.Outcome) {
		t.Helper()
		g.store([]*pendingSave{p})
		if err := <-p.done; err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(p.outcomes, want) {
			t.Fatalf("%s: outcomes %v, want %v", name, p.outcomes, want)
		}
	}
	stored, dup := usher.OutcomeStored, usher.OutcomeDuplicate
	storeOne("first", pending(now, groupCheck(t, 1), groupCheck(t, 2), groupContact(t, "c1", "Ann")), stored, stored, stored)
	if n := g.tolerant.Load(); n != 0 {
		t.Fatalf("after a new payload %d groups are to be stored tolerantly, want 0", n)
	}
	storeOne("resent", pending(now, groupCheck(t, 1), groupCheck(t, 2), groupContact(t, "c1", "Ann")), dup, dup, dup)
	if n := g.tolerant.Load(); n != tolerantGroups {
		t.Fatalf("after a resent payload %d groups are to be stored tolerantly, want %d", n, tolerantGroups)
	}
	storeOne("next", pending(now, groupCheck(t, 3), groupContact(t, "c1", "Anna")), stored, stored)
	if n := g.tolerant.Load(); n != tolerantGroups-1 {
		t.Fatalf("after the next payload %d groups are to be stored tolerantly, want %d", n, tolerantGroups-1)
	}
	ctx := context.Background()
	var checks, queued, versions int
	if err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM ticket_checks),
		(SELECT coalesce(sum(cardinality(ids)), 0) FROM analytics_pending WHERE kind = 'checks'),
		(SELECT count(*) FROM documents WHERE external_id = 'c1')`).Scan(&checks, &queued, &versions); err != nil {
		t.Fatal(err)
	}
	if checks != 3 || queued != 3 || versions != 2 {
		t.Errorf("%d checks stored, %d queued for analytics, %d versions of c1; want 3, 3 and 2", checks, queued, versions)
	}
}

// Optimistic, queueDocuments sends the statements without ON CONFLICT,
// except for checks whose id repeats in the batch: of those only the first
// may be stored, which a plain insert cannot say.
func TestQueueDocumentsOptimistic(t *testing.T) {
	contact := groupContact(t, "c1", "Ann")
	for _, tc := range []struct {
		name string
		docs []usher.Document
		want []string
	}{
		{"distinct", []usher.Document{groupCheck(t, 1), groupCheck(t, 2), contact},
			[]string{saveChecksNewSQL, queueNewChecksSQL, saveVersionsNewSQL}},
		{"a check twice", []usher.Document{groupCheck(t, 1), groupCheck(t, 1), contact},
			[]string{saveChecksSQL, saveVersionsNewSQL}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b pgx.Batch
			if _, err := queueDocuments(&b, tc.docs, receivedAll(time.Now(), len(tc.docs)), true); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, q := range b.QueuedQueries {
				got = append(got, q.SQL)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("%d statements, not the %d expected", len(got), len(tc.want))
			}
		})
	}
	if strings.Contains(saveVersionsNewSQL, "content_hash) DO NOTHING") {
		t.Error("saveVersionsNewSQL still skips stored content")
	}
}
