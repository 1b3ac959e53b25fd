package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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
