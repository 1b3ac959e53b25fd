package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
	fx "github.com/usher-hub/usher/internal/analytics/analyticstest"
	"github.com/usher-hub/usher/internal/store"
)

// pruneDatabase returns a SQLite database holding the fixture venue, with
// a second version of an order, all received 40 days ago and projected.
func pruneDatabase(t *testing.T) string {
	t.Helper()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "usher.db")
	ago := func() time.Time { return time.Now().Add(-40 * 24 * time.Hour) }
	st, err := store.Open(context.Background(), dsn, ago)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	second := fx.Orders(t, fx.Institution)[0]
	second.Raw = []byte(string(second.Raw[:len(second.Raw)-1]) + `,"note":"amended"}`)
	second.Hash += "-amended"
	up := second.UpstreamUpdatedAt.Add(time.Minute)
	second.UpstreamUpdatedAt = &up
	for _, docs := range [][]usher.Document{fx.All(t, fx.Institution), {second}} {
		if _, err := st.SaveDocuments(context.Background(), docs); err != nil {
			t.Fatal(err)
		}
	}
	if err := analytics.CatchUp(context.Background(), st, 1000, 100); err != nil {
		t.Fatal(err)
	}
	return dsn
}

func TestPruneCommand(t *testing.T) {
	db := pruneDatabase(t)
	conf := filepath.Join(t.TempDir(), "usher.yaml")
	if err := os.WriteFile(conf, []byte(`institutions:
  - code: myvenue
    auth: {mode: none}
    retention:
      orders: {superseded_versions: 30d}
      ticketchecks: {checks: 30d}
  - code: othervenue
    auth: {mode: none}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	args := func(extra ...string) []string {
		return append([]string{"prune", "--config", conf, "--database", db}, extra...)
	}
	sales := func() string {
		out, _, err := runForTest(t, nil, "report", "sales", "--database", db, "--institution", "myvenue", "--from", "2023-02-01", "--to", "2023-02-28", "--format", "csv")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	attendance := func() string {
		out, _, err := runForTest(t, nil, "report", "attendance", "--database", db, "--institution", "myvenue", "--from", "2023-02-01", "--to", "2023-02-28", "--format", "csv")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	salesBefore, attendanceBefore := sales(), attendance()

	line := func(out, stream, what string) []string {
		t.Helper()
		m := regexp.MustCompile(`(?m)^myvenue +` + stream + ` +` + what + ` +30d +\S+ +(\d+) +(\d+) +(\d+)$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no line for %s %s in:\n%s", stream, what, out)
		}
		return m[1:]
	}
	out, _, err := runForTest(t, nil, args("--dry-run")...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "WOULD PRUNE") {
		t.Fatalf("dry run:\n%s", out)
	}
	// The first version of the amended order goes; 6 orders stay current.
	if got := line(out, "orders", "superseded_versions"); strings.Join(got, " ") != "1 6 0" {
		t.Errorf("orders would prune, keep current, keep for reports = %v, want 1 6 0:\n%s", got, out)
	}
	checks := line(out, "ticketchecks", "checks")
	if checks[0] == "0" || checks[2] == "0" {
		t.Errorf("checks: want some pruned and the unmatched ones kept for the reports, got %v", checks)
	}
	if again, _, _ := runForTest(t, nil, args("--dry-run")...); again != out {
		t.Fatalf("a dry run changed something:\n%s\nthen\n%s", out, again)
	}

	out, errOut, err := runForTest(t, nil, args()...)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if got := line(out, "orders", "superseded_versions"); got[0] != "1" || !strings.Contains(out, "PRUNED") {
		t.Errorf("prune:\n%s", out)
	}
	if got := line(out, "ticketchecks", "checks"); got[0] != checks[0] {
		t.Errorf("pruned %s checks, the dry run said %s", got[0], checks[0])
	}
	if !strings.Contains(errOut, "pruning: ") {
		t.Errorf("no progress on stderr: %q", errOut)
	}
	if sales() != salesBefore || attendance() != attendanceBefore {
		t.Errorf("reports changed by pruning:\n%s\n%s\nthen\n%s\n%s", salesBefore, attendanceBefore, sales(), attendance())
	}
	out, _, _ = runForTest(t, nil, args("--dry-run")...)
	if got := line(out, "orders", "superseded_versions"); got[0] != "0" {
		t.Errorf("after pruning the dry run still finds %s", got[0])
	}
	out, _, err = runForTest(t, nil, args("--audit", "--institution", "myvenue")...)
	if err != nil || strings.Count(out, "\n") != 2 || !strings.Contains(out, `"kind":"superseded_versions"`) || !strings.Contains(out, `"actor":"usher prune`) {
		t.Errorf("audit: %v\n%s", err, out)
	}

	out, _, err = runForTest(t, nil, "prune", "-h")
	if exitCode(err) != 0 {
		t.Fatalf("prune -h: %v", err)
	}
	for _, flag := range []string{"-dry-run", "-institution", "-batch-size", "-audit", "-config", "-database"} {
		if !strings.Contains(out, flag) {
			t.Errorf("prune -h lacks %s:\n%s", flag, out)
		}
	}
	if _, _, err := runForTest(t, nil, args("--institution", "nowhere")...); exitCode(err) != 2 {
		t.Errorf("unknown institution: %v, want exit 2", err)
	}
	if _, _, err := runForTest(t, nil, args("--batch-size", "9000")...); exitCode(err) != 2 || !strings.Contains(err.Error(), "batch_size") {
		t.Errorf("--batch-size 9000: %v, want exit 2 naming the setting", err)
	}
	out, _, err = runForTest(t, nil, args("--institution", "othervenue")...)
	if err != nil || !strings.Contains(out, "No retention setting") {
		t.Errorf("institution without retention: %v\n%s", err, out)
	}
}
