package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	fx "github.com/usher-hub/usher/internal/analytics/analyticstest"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/store/sqlite"
)

// TestProjectionInSlices checks that a long check queue is applied in
// slices, each a short hold of the writer, that orders wait until every
// queued check is counted, and that the slices end where a rebuild does.
func TestProjectionInSlices(t *testing.T) {
	ctx := context.Background()
	d, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "usher.db"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := store.New(d, time.Now)
	movements := []int64{101, 102, 201, 202, 203, 999}
	var checks []usher.Document
	for i := range 1200 {
		at := fmt.Sprintf("2023-02-09 %02d:%02d:00", 9+i%8, i%60)
		checks = append(checks, fx.Check(t, fx.Institution, int64(1000+i), movements[i%len(movements)], at, "IN", "OK", "NO_FAIL", "North"))
	}
	for i := 0; i < len(checks); i += 50 {
		if _, err := s.SaveDocuments(ctx, checks[i:i+50]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.SaveDocuments(ctx, fx.Orders(t, fx.Institution)); err != nil {
		t.Fatal(err)
	}

	first, err := s.ProjectAnalytics(ctx, 200)
	if err != nil {
		t.Fatal(err)
	}
	if first.Checks != 250 || first.Orders != 0 || !first.Partial {
		t.Fatalf("first projection = %+v, want a slice of 250 checks, no order, more to come", first)
	}
	for calls := 0; ; calls++ {
		p, err := s.ProjectAnalytics(ctx, 200)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Partial && p.Pending == 0 {
			break
		}
		if calls > 20 {
			t.Fatalf("the queue does not drain: %+v", p)
		}
	}
	projected := reports(t, s)
	if err := s.RebuildAnalytics(ctx, fx.Institution); err != nil {
		t.Fatal(err)
	}
	if rebuilt := reports(t, s); !reflect.DeepEqual(projected, rebuilt) {
		t.Errorf("projected in slices:\n%+v\nrebuilt:\n%+v", projected, rebuilt)
	}
}

func reports(t *testing.T, s usher.Store) []any {
	t.Helper()
	q := usher.ReportQuery{Institution: fx.Institution, From: fx.Day(1), To: fx.Day(28), Interval: usher.IntervalDay, By: usher.ByProduct}
	breakdown, err := s.ReportBreakdown(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	q.By = ""
	attendance, err := s.ReportAttendance(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return []any{breakdown, attendance}
}
