package e2e

// Crash and fault tests of the real binary under sustained ingest. Each
// is bounded (well under a minute) and asserts outcomes, never durations:
// what was acknowledged is stored exactly once, what was not is accepted
// when resent, and a failing database answers 503 and keeps nothing of
// the failed payload.

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher/bench/load"
	"github.com/usher-hub/usher/client"
	"github.com/usher-hub/usher/internal/testdb"
)

// TestKill9DuringIngestLosesAndDuplicatesNothing kills usher with SIGKILL
// while four senders push, restarts it on the same database and resends
// what was not acknowledged, as S-360 would: every acknowledged document
// must have survived, every resent payload must be accepted, and in the
// end each document is stored exactly once.
func TestKill9DuringIngestLosesAndDuplicatesNothing(t *testing.T) {
	t.Parallel()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			dsn := testdb.DSN(t, engine)
			args := []string{"--config", faultConfig(t), "--database", dsn}
			srv := serve(t, args...)
			l := startLoad(faultTarget(srv.URL), 4, false, 7)
			waitUntil(t, 45*time.Second, "30 acknowledged payloads", func() bool { return l.Acked() >= 30 })
			srv.Kill()
			l.Stop()
			if len(l.statuses) > 0 {
				t.Fatalf("answers other than 200 before the kill: %v", l.statuses)
			}
			ackedKeys := keysOf(t, pick(l.sent, l.acked, true))
			stored := storedKeys(t, dsn)
			for _, k := range ackedKeys {
				if stored[k] != 1 {
					t.Fatalf("acknowledged %s is stored %d times after the crash", k, stored[k])
				}
			}

			srv = serve(t, args...)
			unacked := pick(l.sent, l.acked, false)
			duplicates := 0
			for _, p := range unacked {
				res, err := resend(srv.Client(""), p)
				if err != nil {
					t.Fatalf("resending an unacknowledged payload after restart: %v", err)
				}
				duplicates += res.Duplicate
			}
			srv.Stop()
			t.Logf("%d payloads acknowledged before the kill, %d resent (%d of their documents had been committed unacknowledged)",
				len(l.sent)-len(unacked), len(unacked), duplicates)
			checkExactlyOnce(t, dsn, l.sent)
		})
	}
}

// pick returns the payloads whose acknowledged flag is want.
func pick(payloads []load.Payload, acked []bool, want bool) []load.Payload {
	var out []load.Payload
	for i, p := range payloads {
		if acked[i] == want {
			out = append(out, p)
		}
	}
	return out
}

// TestPostgresStoppedUnderLoad crashes PostgreSQL (a private cluster, not
// the shared server) while senders push, then starts it again. While it is
// down every push gets 503 and /readyz says not ready; senders resend until
// acknowledged, and in the end every document is stored exactly once.
func TestPostgresStoppedUnderLoad(t *testing.T) {
	t.Parallel()
	pg := startPrivatePostgres(t)
	dsn := pg.CreateDatabase(t, "usher")
	srv := serve(t, "--config", faultConfig(t), "--database", dsn)
	l := startLoad(faultTarget(srv.URL), 4, true, 11)
	waitUntil(t, 30*time.Second, "10 acknowledged payloads", func() bool { return l.Acked() >= 10 })

	pg.Crash(t)
	waitUntil(t, 30*time.Second, "a 503 while PostgreSQL is down", func() bool { return l.Seen(http.StatusServiceUnavailable) > 0 })
	if status := readyStatus(t, srv); status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz answered %d with PostgreSQL down, want 503", status)
	}
	acked := l.Acked()

	pg.Start(t)
	waitUntil(t, 30*time.Second, "/readyz after PostgreSQL is back", func() bool { return readyStatus(t, srv) == http.StatusOK })
	waitUntil(t, 30*time.Second, "10 more acknowledged payloads", func() bool { return l.Acked() >= acked+10 })
	l.Stop()
	srv.Stop()

	for status, n := range l.statuses {
		if status != http.StatusServiceUnavailable {
			t.Errorf("%d answers with status %d; a database outage must only give 503", n, status)
		}
	}
	if l.transport > 0 {
		t.Errorf("%d pushes got no answer: usher must answer 503 while its database is down", l.transport)
	}
	if !strings.Contains(srv.Logs(), "database unavailable") {
		t.Errorf("the logs do not say the database was unavailable")
	}
	t.Logf("%d payloads, %d answers 503 while PostgreSQL was down", len(l.sent), l.Seen(http.StatusServiceUnavailable))
	checkExactlyOnce(t, dsn, l.sent)
}

// readyStatus is the status of /readyz, asked through the client.
func readyStatus(t *testing.T, srv *proc) int {
	t.Helper()
	err := srv.Client("").Ready(context.Background())
	if err == nil {
		return http.StatusOK
	}
	status := client.StatusOf(err)
	if status == 0 {
		t.Fatal(err)
	}
	return status
}
