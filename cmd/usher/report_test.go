package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	fx "github.com/usher-hub/usher/internal/analytics/analyticstest"
	"github.com/usher-hub/usher/internal/store"
)

// reportDatabase returns a SQLite database holding the fixture venue.
func reportDatabase(t *testing.T) string {
	t.Helper()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "usher.db")
	st, err := store.Open(context.Background(), dsn, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.SaveDocuments(context.Background(), fx.All(t, fx.Institution)); err != nil {
		t.Fatal(err)
	}
	return dsn
}

func TestReportCommand(t *testing.T) {
	db := reportDatabase(t)
	common := []string{"--database", db, "--institution", "myvenue"}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"sales csv", []string{"sales", "--from", "2023-02-09", "--to", "2023-02-10", "--format", "csv"}, []string{
			"period,label,orders,refund_orders,tickets,gross,refunded,revenue,abandoned_orders,abandoned_amount,pending_orders\n" +
				"2023-02-09,,2,0,5,69.00,0.00,69.00,0,0.00,0\n" +
				"2023-02-10,,0,1,-1,0.00,10.00,-10.00,1,24.00,0\n"}},
		{"gates reasons", []string{"gates", "--from", "2023-02-10", "--to", "2023-02-10", "--format", "csv", "--table", "reasons"}, []string{
			"period,group,reason,checks\n2023-02-10,,ALREADY_USED,1\n"}},
		{"attendance table", []string{"attendance", "--from", "2023-02-09", "--to", "2023-02-09", "--interval", "hour"}, []string{
			"attendance of myvenue, 2023-02-09 to 2023-02-09, per hour", "2023-02-09T11:00  3   0    1", `"peak_hour":"2023-02-09T11:00"`}},
		{"breakdown json", []string{"breakdown", "--from", "2023-02-01", "--to", "2023-02-28", "--interval", "month", "--by", "category", "--format", "json"}, []string{
			`"label": "MEMBER"`, `"unmatched_checks": 3`}},
		{"health", []string{"health"}, []string{"ticketchecks", "orders"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, err := runForTest(t, nil, append([]string{"report"}, append(tt.args, common...)...)...)
			if err != nil {
				t.Fatalf("%v\n%s", err, errOut)
			}
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestReportCommandErrors(t *testing.T) {
	db := reportDatabase(t)
	for _, args := range [][]string{
		{"report"},
		{"report", "profits", "--database", db, "--institution", "myvenue"},
		{"report", "sales", "--database", db, "--institution", "myvenue", "--interval", "hour"},
		{"report", "sales", "--database", db, "--institution", "myvenue", "--format", "xml"},
		{"report", "sales", "--database", db},
	} {
		if _, _, err := runForTest(t, nil, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestReportRebuild(t *testing.T) {
	db := reportDatabase(t)
	out, _, err := runForTest(t, nil, "report", "rebuild", "--database", db, "--institution", "myvenue")
	if err != nil || !strings.Contains(out, "rebuilt") {
		t.Fatalf("rebuild: %v %q", err, out)
	}
	out, _, err = runForTest(t, nil, "report", "sales", "--database", db, "--institution", "myvenue", "--from", "2023-02-14", "--to", "2023-02-14", "--format", "csv")
	if err != nil || !strings.Contains(out, "2023-02-14,,1,0,3,36.00") {
		t.Fatalf("sales after rebuild: %v %q", err, out)
	}
}
