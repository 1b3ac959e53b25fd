package retention_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
	fx "github.com/usher-hub/usher/internal/analytics/analyticstest"
	"github.com/usher-hub/usher/internal/retention"
	"github.com/usher-hub/usher/internal/store"
)

// The worker applies every rule, in batches, pausing while pushes are
// busy, counts what went and audits each rule that removed anything.
func TestWorkerPrunesAndAudits(t *testing.T) {
	ctx := context.Background()
	ago := func() time.Time { return time.Now().Add(-48 * time.Hour) }
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "usher.db"), ago)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.SaveDocuments(ctx, fx.All(t, fx.Institution)); err != nil {
		t.Fatal(err)
	}
	if err := analytics.CatchUp(ctx, st, 1000, 100); err != nil {
		t.Fatal(err)
	}
	rules := []usher.RetentionRule{
		{Institution: fx.Institution, Stream: usher.StreamTicketChecks, Kind: usher.RetainChecks, Keep: 24 * time.Hour},
		{Institution: fx.Institution, Stream: usher.StreamContacts, Kind: usher.RetainSuperseded, Keep: 24 * time.Hour},
	}
	pruned := map[usher.RetentionKind]int{}
	busy, pauses := true, 0
	w := &retention.Worker{Pruner: st, Rules: rules, Interval: time.Hour, BatchSize: 2,
		Pacer: &retention.Pacer{Share: 0.1, MaxWait: time.Second,
			Busy:  func() bool { pauses++; b := busy; busy = !busy; return b },
			Sleep: func(context.Context, time.Duration) error { return nil }},
		Pruned: func(r usher.RetentionRule, n int) { pruned[r.Kind] += n },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	w.Once(ctx)
	if pruned[usher.RetainChecks] != 9 || pruned[usher.RetainSuperseded] != 3 {
		t.Fatalf("pruned = %v, want the 9 matched checks and the 3 superseded contact versions", pruned)
	}
	if pauses == 0 {
		t.Error("the worker never asked whether pushes were busy between batches")
	}
	runs, err := st.PruneRuns(ctx, fx.Institution)
	if err != nil || len(runs) != 2 || runs[1].Rule != rules[0] || runs[1].Result.Pruned != 9 || runs[1].Result.KeptProjection != 3 ||
		runs[0].Rule != rules[1] || runs[0].Result.Pruned != 3 {
		t.Fatalf("audit = %+v, %v; want a record per rule, newest first", runs, err)
	}
	// Nothing is left to go: a second run removes and records nothing.
	w.Once(ctx)
	if runs, _ := st.PruneRuns(ctx, fx.Institution); len(runs) != 2 || pruned[usher.RetainChecks] != 9 {
		t.Fatalf("second run: %d records, %v pruned", len(runs), pruned)
	}
}
