package crm_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/crm"
	"github.com/usher-hub/usher/internal/outbox"
)

// recorder is a CRM endpoint that answers a set status and keeps what it
// received.
type recorder struct {
	mu       sync.Mutex
	status   int
	header   http.Header
	requests []*http.Request
	bodies   []string
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.requests = append(rc.requests, r)
	rc.bodies = append(rc.bodies, string(body))
	for k, v := range rc.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rc.status)
}

type deliveryBundle struct {
	*bundle
	crm    *recorder
	runner *outbox.Runner
	signer crm.Signer
}

// setupDelivery stores one contact for myvenue (routed to extcrm), so one
// delivery job waits, and returns a runner of deliveries to a recorder.
func setupDelivery(t *testing.T, format string) *deliveryBundle {
	b := setup(t)
	rec := &recorder{status: http.StatusOK}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	signer, _ := crm.NewSigner("whsec_" + "c2lnbmluZy1rZXk=")
	d := crm.NewDeliverer(b.store, []crm.Destination{{Institution: "myvenue", Name: "extcrm", URL: srv.URL + "/s360/{stream}/{institution}",
		Signer: signer, Format: format, Timeout: 5 * time.Second, Auth: usher.PushAuth{Mode: usher.AuthBasic, Username: "usher", Secret: "pw"}}},
		crm.NewHTTPClient(), time.Now, b.metrics, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r := outbox.New(b.store, map[string]outbox.Handler{usher.KindCRMDelivery: d}, outbox.Config{Owner: "t", Concurrency: 1},
		b.metrics, slog.New(slog.NewTextHandler(io.Discard, nil)))
	db := &deliveryBundle{bundle: b, crm: rec, runner: r, signer: signer}
	db.save(t, `{"contactNumber":"42","email":"a@example.org"}`)
	return db
}

func (b *deliveryBundle) save(t *testing.T, body string) {
	t.Helper()
	raw := json.RawMessage(body)
	h, _ := usher.HashJSON(raw)
	if _, err := b.store.SaveDocuments(context.Background(), []usher.Document{{Institution: "myvenue", Stream: usher.StreamContacts, ExternalID: "42", Hash: h, Raw: raw}}); err != nil {
		t.Fatal(err)
	}
}

func (b *deliveryBundle) runOnce(t *testing.T) usher.Job {
	t.Helper()
	if _, err := b.runner.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	jobs, err := b.store.FindJobs(context.Background(), usher.JobFilter{Kind: usher.KindCRMDelivery})
	if err != nil || len(jobs) == 0 {
		t.Fatalf("jobs: %v %v", jobs, err)
	}
	return jobs[len(jobs)-1]
}

func TestDeliverySignedAsS360Would(t *testing.T) {
	b := setupDelivery(t, "s360")
	job := b.runOnce(t)
	if job.State != usher.JobDone || !strings.Contains(string(job.Result), `"status":200`) {
		t.Fatalf("job = %+v", job)
	}
	r, body := b.crm.requests[0], b.crm.bodies[0]
	if r.URL.Path != "/s360/contacts/myvenue" || body != `[{"contactNumber":"42","email":"a@example.org"}]` {
		t.Fatalf("POST %s %s: want the document in an array, as S-360 posts it", r.URL.Path, body)
	}
	if err := b.signer.Verify(r.Header, []byte(body), time.Now(), time.Minute); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if r.Header.Get(crm.HeaderID) != job.IdempotencyKey || r.Header.Get("Usher-Document-Version") != "1" || r.Header.Get("Usher-Stream") != "contacts" {
		t.Fatalf("headers %v", r.Header)
	}
	if u, p, ok := r.BasicAuth(); !ok || u != "usher" || p != "pw" {
		t.Fatal("the destination's basic credentials were not sent")
	}
}

func TestDeliveryEnvelope(t *testing.T) {
	b := setupDelivery(t, "envelope")
	b.runOnce(t)
	var env struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(b.crm.bodies[0]), &env); err != nil || env.Type != "contact.updated" || !strings.Contains(string(env.Data), `"42"`) {
		t.Fatalf("envelope %s", b.crm.bodies[0])
	}
}

func TestDeliveryAnswers(t *testing.T) {
	t.Run("410 Gone is final", func(t *testing.T) {
		b := setupDelivery(t, "s360")
		b.crm.status = http.StatusGone
		if job := b.runOnce(t); job.State != usher.JobFailed || job.Attempts != 1 {
			t.Fatalf("job = %+v, want failed at once", job)
		}
	})
	t.Run("Retry-After is honoured", func(t *testing.T) {
		b := setupDelivery(t, "s360")
		b.crm.status = http.StatusTooManyRequests
		b.crm.header = http.Header{"Retry-After": {"120"}}
		job := b.runOnce(t)
		if job.State != usher.JobQueued || time.Until(job.RunAt) < 110*time.Second {
			t.Fatalf("job = %+v, want a retry in about 120 s", job)
		}
	})
	t.Run("a redirect is a failure", func(t *testing.T) {
		b := setupDelivery(t, "s360")
		b.crm.status = http.StatusFound
		b.crm.header = http.Header{"Location": {"http://127.0.0.1:1/elsewhere"}}
		if job := b.runOnce(t); job.State != usher.JobQueued || !strings.Contains(job.LastError, "302") {
			t.Fatalf("job = %+v, want a retry after the 302", job)
		}
	})
}

func TestReplayOfASupersededVersionIsSkipped(t *testing.T) {
	b := setupDelivery(t, "s360")
	b.crm.status = http.StatusGone
	b.runOnce(t) // version 1 goes to the dead letter
	b.crm.status = http.StatusOK
	b.save(t, `{"contactNumber":"42","email":"b@example.org"}`)
	b.runOnce(t) // version 2 is delivered
	if n, err := b.store.RetryJobs(context.Background(), usher.JobFilter{Kind: usher.KindCRMDelivery}, time.Now()); err != nil || n != 1 {
		t.Fatalf("retry: %d, %v", n, err)
	}
	b.runOnce(t)
	jobs, _ := b.store.FindJobs(context.Background(), usher.JobFilter{Kind: usher.KindCRMDelivery})
	old := jobs[len(jobs)-1]
	if old.State != usher.JobDone || !strings.Contains(string(old.Result), "superseded") || len(b.crm.bodies) != 2 {
		t.Fatalf("replayed version 1: %+v after %d posts; want skipped: the CRM holds version 2", old, len(b.crm.bodies))
	}
}
