package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // storedKeys reads SQLite files

	"github.com/usher-hub/usher/bench/load"
	"github.com/usher-hub/usher/client"
)

// faultConfig writes a configuration accepting pushes for the load kit's
// institution.
func faultConfig(t *testing.T) string {
	t.Helper()
	inst := load.Institution
	return writeConfigYAML(t, fmt.Sprintf(`
institutions:
  - code: %s
    auth: {mode: basic, username: %s, secret: %s}
`, inst.Code, inst.Auth.Username, inst.Auth.Secret))
}

func faultTarget(url string) load.Target {
	inst := load.Institution
	return load.Target{URL: url, Institution: inst.Code, User: inst.Auth.Username, Password: inst.Auth.Secret}
}

// pushLoad is sustained ingest from several senders, as S-360's export
// jobs do: each sender pushes a payload and takes the next once it is
// acknowledged. It records every payload it sent and which got a 200.
type pushLoad struct {
	target load.Target
	client *http.Client
	// retry makes a sender resend a payload until it is acknowledged, as
	// S-360 resends a refused payload at its next run; without it a
	// sender stops at the first failure.
	retry bool
	stop  chan struct{} // closed: take no new payload
	wg    sync.WaitGroup

	mu        sync.Mutex
	sent      []load.Payload
	acked     []bool
	statuses  map[int]int // answers other than 200, by status
	transport int         // attempts that got no answer at all
}

// startLoad starts senders pushing new payloads of 50 documents until Stop.
func startLoad(target load.Target, senders int, retry bool, seed uint64) *pushLoad {
	l := &pushLoad{target: target, client: load.NewClient(senders), retry: retry,
		stop: make(chan struct{}), statuses: map[int]int{}}
	feed := make(chan int)
	gen := load.NewGenerator(seed)
	l.wg.Go(func() {
		defer close(feed)
		for i := 0; ; i++ {
			p := gen.Payload(load.Mix[i%len(load.Mix)], 50)
			l.mu.Lock()
			l.sent, l.acked = append(l.sent, p), append(l.acked, false)
			l.mu.Unlock()
			select {
			case feed <- i:
			case <-l.stop:
				l.mu.Lock()
				l.sent, l.acked = l.sent[:i], l.acked[:i] // never handed to a sender
				l.mu.Unlock()
				return
			}
		}
	})
	for range senders {
		l.wg.Go(func() { l.send(feed) })
	}
	return l
}

func (l *pushLoad) send(feed <-chan int) {
	for i := range feed {
		l.mu.Lock()
		p := l.sent[i]
		l.mu.Unlock()
		for !l.push(i, p) {
			if !l.retry {
				return
			}
			<-time.After(20 * time.Millisecond) // S-360 resends at a later run, not in a tight loop
		}
	}
}

// push sends payload i once and records the answer; true means acknowledged.
func (l *pushLoad) push(i int, p load.Payload) bool {
	status, _, err := l.target.Push(context.Background(), l.client, p)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err != nil:
		l.transport++
	case status == http.StatusOK:
		l.acked[i] = true
		return true
	default:
		l.statuses[status]++
	}
	return false
}

// Stop lets each sender finish its payload (with retry: until acknowledged)
// and waits for them.
func (l *pushLoad) Stop() {
	close(l.stop)
	l.wg.Wait()
	l.client.CloseIdleConnections()
}

// Acked counts acknowledged payloads so far.
func (l *pushLoad) Acked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, a := range l.acked {
		if a {
			n++
		}
	}
	return n
}

// Seen returns how many answers of status were seen so far.
func (l *pushLoad) Seen(status int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.statuses[status]
}

// storedKeys returns how many rows the database at dsn holds for each
// document, keyed "stream/external id".
func storedKeys(t *testing.T, dsn string) map[string]int {
	t.Helper()
	const q = `SELECT stream, external_id FROM documents
		UNION ALL SELECT 'ticketchecks', CAST(ticket_check_id AS TEXT) FROM ticket_checks`
	ctx := context.Background()
	out := map[string]int{}
	add := func(stream, id string) { out[stream+"/"+id]++ }
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var stream, id string
			if err := rows.Scan(&stream, &id); err != nil {
				t.Fatal(err)
			}
			add(stream, id)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, q)
	var stream, id string
	if _, err := pgx.ForEachRow(rows, []any{&stream, &id}, func() error { add(stream, id); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// keysOf returns the "stream/external id" of every document of payloads.
func keysOf(t *testing.T, payloads []load.Payload) []string {
	t.Helper()
	docs, err := load.Documents(load.Institution.Code, payloads)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, len(docs))
	for i, d := range docs {
		keys[i] = string(d.Stream) + "/" + d.ExternalID
	}
	return keys
}

// checkExactlyOnce fails t unless the database holds every document of
// payloads exactly once and nothing else.
func checkExactlyOnce(t *testing.T, dsn string, payloads []load.Payload) {
	t.Helper()
	stored := storedKeys(t, dsn)
	want := keysOf(t, payloads)
	var problems []string
	for _, k := range want {
		if n := stored[k]; n != 1 {
			problems = append(problems, fmt.Sprintf("%s stored %d times", k, n))
		}
		delete(stored, k)
	}
	for k := range stored {
		problems = append(problems, k+" stored but never sent")
	}
	if len(problems) > 0 {
		t.Fatalf("%d of %d documents wrong, first: %s", len(problems), len(want), strings.Join(problems[:min(5, len(problems))], "; "))
	}
	t.Logf("%d documents of %d payloads each stored exactly once", len(want), len(payloads))
}

// resend pushes payload p once through the client and requires a 200
// that accounts for every document of it, as stored or as a duplicate
// (the payload may have been committed before its answer was lost).
func resend(c *client.Client, p load.Payload) (*client.Receipt, error) {
	rc, err := c.Push(context.Background(), load.Institution.Code, client.Stream(p.Stream), p.Body, faultAuth())
	if err != nil {
		return nil, err
	}
	if rc.Stored+rc.Duplicate != p.Docs {
		return rc, fmt.Errorf("200 that does not account for %d documents: %+v", p.Docs, rc)
	}
	return rc, nil
}

// faultAuth is the load kit's institution's push credentials.
func faultAuth() client.PushAuth {
	return client.Basic(load.Institution.Auth.Username, load.Institution.Auth.Secret)
}
