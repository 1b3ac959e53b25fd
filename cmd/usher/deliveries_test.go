package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/testdb"
)

// TestDeliveriesCommand lists the dead letter and retries it through
// `usher deliveries`, straight on the database.
func TestDeliveriesCommand(t *testing.T) {
	dsn := testdb.SQLite(t)
	cfgPath := filepath.Join(t.TempDir(), "usher.yaml")
	if err := os.WriteFile(cfgPath, []byte("database: "+dsn+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), dsn, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(usher.DeliveryPayload{Destination: "extcrm", Stream: usher.StreamContacts, ExternalID: "42", Version: 3})
	if _, err := st.EnqueueJobs(context.Background(), []usher.NewJob{
		{Institution: "myvenue", Kind: usher.KindCRMDelivery, OrderKey: "a", IdempotencyKey: "a", Payload: payload, MaxAttempts: 1},
		{Institution: "myvenue", Kind: usher.KindS360SaveContact, OrderKey: "b", IdempotencyKey: "b", Payload: json.RawMessage(`{}`), MaxAttempts: 1},
	}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	jobs, _ := st.ClaimJobs(context.Background(), usher.ClaimRequest{Owner: "t", Limit: 1, Now: now, LeaseUntil: now.Add(time.Minute)})
	if err := st.FinishJob(context.Background(), usher.JobFinish{ID: jobs[0].ID, LeaseToken: jobs[0].LeaseToken, State: usher.JobFailed, Error: "410 Gone", Now: now}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	run := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"usher", "deliveries"}, args...), func(string) string { return "" }, &out, &errOut)
		return out.String() + errOut.String(), err
	}
	out, err := run("list", "-config", cfgPath, "-state", "failed")
	if err != nil || !strings.Contains(out, "extcrm ← contacts 42 v3") || !strings.Contains(out, "410 Gone") || strings.Count(out, "\n") != 2 {
		t.Fatalf("list failed: %v\n%s", err, out)
	}
	if _, err := run("retry", "-config", cfgPath); err == nil {
		t.Fatal("retry without -id or -all must refuse")
	}
	if out, err := run("retry", "-config", cfgPath, "-id", "1"); err != nil || !strings.Contains(out, "1 failed job(s) queued again") {
		t.Fatalf("retry: %v\n%s", err, out)
	}
	out, err = run("list", "-config", cfgPath, "-json")
	if err != nil || strings.Count(out, "\n") != 2 || !strings.Contains(out, `"replayed":true`) {
		t.Fatalf("list -json: %v\n%s", err, out)
	}
	// The table names jobs as the logs do, says a retry reset the count,
	// and accepts those names back.
	out, err = run("list", "-config", cfgPath, "-id", jobs[0].TrackingID)
	if err != nil || !strings.Contains(out, jobs[0].TrackingID) || !strings.Contains(out, "since retry") || strings.Count(out, "\n") != 2 {
		t.Fatalf("list -id %s: %v\n%s", jobs[0].TrackingID, err, out)
	}
	if _, err := run("list", "-config", cfgPath, "-id", "job_nosuchjob,99"); err == nil || !strings.Contains(err.Error(), "no job 99, job_nosuchjob") {
		t.Fatalf("unknown ids: %v", err)
	}
	// A job that succeeded after failures shows no error to act on.
	st, err = store.Open(context.Background(), dsn, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	now = time.Now()
	claimed, _ := st.ClaimJobs(context.Background(), usher.ClaimRequest{Owner: "t", Limit: 2, Now: now.Add(time.Hour), LeaseUntil: now.Add(2 * time.Hour)})
	i := slices.IndexFunc(claimed, func(j usher.Job) bool { return j.ID == jobs[0].ID })
	if i < 0 {
		t.Fatalf("the retried job is not claimed: %+v", claimed)
	}
	if err := st.FinishJob(context.Background(), usher.JobFinish{ID: claimed[i].ID, LeaseToken: claimed[i].LeaseToken, State: usher.JobDone, Now: now}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, err = run("list", "-config", cfgPath, "-state", "done")
	if err != nil || strings.Contains(out, "410 Gone") || !strings.Contains(out, jobs[0].TrackingID) {
		t.Fatalf("a done job shows its old error: %v\n%s", err, out)
	}
}

// TestDeliveriesShowsResolutions: an S-360 write whose answer was lost and
// was settled by reading back says so in `usher deliveries list`.
func TestDeliveriesShowsResolutions(t *testing.T) {
	dsn := testdb.SQLite(t)
	cfgPath := filepath.Join(t.TempDir(), "usher.yaml")
	if err := os.WriteFile(cfgPath, []byte("database: "+dsn+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), dsn, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := st.EnqueueJobs(ctx, []usher.NewJob{{Institution: "myvenue", Kind: usher.KindS360SaveContact, OrderKey: "b",
		IdempotencyKey: "b", Payload: json.RawMessage(`{}`), MaxAttempts: 3}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	jobs, _ := st.ClaimJobs(ctx, usher.ClaimRequest{Owner: "t", Limit: 1, Now: now, LeaseUntil: now.Add(time.Minute)})
	if err := st.FinishJob(ctx, usher.JobFinish{ID: jobs[0].ID, LeaseToken: jobs[0].LeaseToken, State: usher.JobDone,
		Result: json.RawMessage(`{"contactNumber":"5000001","resolved":"found"}`), Now: now}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, tc := range []struct{ flag, want string }{{"", "lost answer resolved: found"}, {"-json", `"resolved":"found"`}} {
		var out, errOut bytes.Buffer
		args := []string{"usher", "deliveries", "list", "-config", cfgPath}
		if tc.flag != "" {
			args = append(args, tc.flag)
		}
		if err := run(ctx, args, func(string) string { return "" }, &out, &errOut); err != nil || !strings.Contains(out.String(), tc.want) {
			t.Fatalf("list %s: %v\n%s%s", tc.flag, err, out.String(), errOut.String())
		}
	}
}
