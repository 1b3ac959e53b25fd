package e2e

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/usher-hub/usher/client"
	"github.com/usher-hub/usher/internal/testdb"
)

// runBin runs the built usher binary with an empty environment besides
// PATH and HOME, and returns its output and exit status.
func runBin(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(usherBin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + cmd.Dir}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("usher %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

var configFlagNames = []string{"-config", "-database", "-listen"}

// TestEveryCommandsHelp runs `-h` of every command and subcommand of the
// built binary: it exits 0, prints to stdout, and lists every flag.
func TestEveryCommandsHelp(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args  []string
		flags []string
	}{
		{[]string{"-h"}, []string{"serve", "migrate", "config", "version", "contacts", "quarantine", "demo", "sim", "deliveries", "report"}},
		{[]string{"help"}, []string{"serve", "report"}},
		{[]string{"serve", "-h"}, configFlagNames},
		{[]string{"serve", "--help"}, configFlagNames},
		{[]string{"migrate", "-h"}, configFlagNames},
		{[]string{"config", "-h"}, configFlagNames},
		{[]string{"version", "-h"}, nil},
		{[]string{"contacts", "-h"}, append([]string{"contacts forget", "contacts erasures", "-institution", "-actor", "-reason"}, configFlagNames...)},
		{[]string{"contacts", "forget", "-h"}, append([]string{"CONTACT_NUMBER", "-institution", "-actor", "-reason"}, configFlagNames...)},
		{[]string{"contacts", "erasures", "-h"}, append([]string{"-institution"}, configFlagNames...)},
		{[]string{"deliveries", "-h"}, append([]string{"deliveries list", "deliveries retry", "-institution", "-kind", "-state", "-limit", "-json", "-id", "-all"}, configFlagNames...)},
		{[]string{"deliveries", "list", "-h"}, append([]string{"-institution", "-kind", "-state", "-limit", "-json", "-id"}, configFlagNames...)},
		{[]string{"deliveries", "retry", "-h"}, append([]string{"-institution", "-kind", "-id", "-all"}, configFlagNames...)},
		{[]string{"quarantine", "-h"}, append([]string{"quarantine list", "quarantine replay", "-status", "-after-id", "-dry-run"}, configFlagNames...)},
		{[]string{"quarantine", "list", "-h"}, append([]string{"-institution", "-stream", "-status", "-limit", "-after-id", "-json"}, configFlagNames...)},
		{[]string{"quarantine", "replay", "-h"}, append([]string{"-institution", "-stream", "-dry-run"}, configFlagNames...)},
		{[]string{"report", "-h"}, append([]string{"sales", "rebuild", "-institution", "-from", "-to", "-interval", "-by", "-format", "-table"}, configFlagNames...)},
		{[]string{"report", "sales", "-h"}, []string{"-institution", "-from", "-format"}},
		{[]string{"demo", "-h"}, []string{"-listen", "-database", "-days", "-seed", "-scale", "-speed", "-interval", "-faults"}},
		{[]string{"sim", "-h"}, []string{"sim s360", "sim centaman", "-target", "-password-env"}},
		{[]string{"sim", "s360", "-h"}, []string{"-target", "-institution", "-auth", "-secret-env", "-faults"}},
		{[]string{"sim", "centaman", "-h"}, []string{"-listen", "-username", "-password-env", "-latency", "-seed", "-days", "-hold-ttl"}},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, errOut, code := runBin(t, nil, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if strings.Contains(out+errOut, "help requested") {
				t.Errorf("help ends with the flag package's error:\n%s", errOut)
			}
			for _, want := range append(tt.flags, "usage:") {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// TestCommandLineMistakes checks exit codes and that each error names
// what is at fault, in words.
func TestCommandLineMistakes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		env  []string
		args []string
		code int
		// want appear in stderr; absent must not.
		want   []string
		absent []string
	}{
		{"bare usher prints usage", nil, nil, 2, []string{"usage: usher <command>", "name a command"}, nil},
		{"unknown command", nil, []string{"frobnicate"}, 2, []string{"unknown command \"frobnicate\""}, nil},
		{"unknown flag", nil, []string{"migrate", "--frob"}, 2, []string{"-frob", "usher migrate -h"}, nil},
		{"contacts without subcommand", nil, []string{"contacts"}, 2, []string{"forget, erasures"}, nil},
		{"flags after the argument", []string{"USER=dpo"}, []string{"contacts", "forget", "3346663", "--institution", "myvenue", "--database", "sqlite:" + dir + "/a.db"}, 1,
			[]string{"3346663"}, []string{"--institution is required"}},
		{"errors in words, not codes", []string{"USER=dpo"}, []string{"contacts", "forget", "3346663", "--institution", "myvenue", "--database", "sqlite:" + dir + "/a.db"}, 1,
			nil, []string{"not_found"}},
		{"report names any case", nil, []string{"report", "SALES", "--institution", "myvenue", "--database", "sqlite:" + dir + "/b.db"}, 0, nil, []string{"unknown"}},
		{"unknown report lists all", nil, []string{"report", "revenue", "--database", "sqlite:" + dir + "/b.db"}, 2,
			[]string{"sales, attendance, gates, breakdown, contacts, health, rebuild"}, nil},
		{"bad --database blames the flag", []string{"USHER_DATABASE=sqlite:" + dir + "/c.db"}, []string{"migrate", "--database", "mysql://x"}, 1,
			[]string{"--database must start with sqlite:"}, []string{"USHER_DATABASE"}},
		{"bad USHER_DATABASE blames the variable", []string{"USHER_DATABASE=mysql://x"}, []string{"migrate"}, 1, []string{"USHER_DATABASE"}, nil},
		{"sqlite error names the path", nil, []string{"migrate", "--database", "sqlite:" + dir + "/no/such/dir/u.db"}, 1, []string{dir + "/no/such/dir/u.db"}, nil},
		{"unknown job id is named", nil, []string{"deliveries", "list", "--id", "job_0000dead,77", "--database", "sqlite:" + dir + "/d.db"}, 1,
			[]string{"no job 77, job_0000dead"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runBin(t, tt.env, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(out+errOut, a) {
					t.Errorf("output has %q:\n%s%s", a, out, errOut)
				}
			}
		})
	}
}

// TestMigratePrintsWhatItApplied: a new database gets every migration and
// says so; the second run applies nothing and says that.
func TestMigratePrintsWhatItApplied(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + t.TempDir() + "/m.db"
	out, errOut, code := runBin(t, nil, "migrate", "--database", db)
	if code != 0 || !strings.Contains(out, "applied") || strings.Contains(out, "up to date") {
		t.Fatalf("first migrate: exit %d\n%s%s", code, out, errOut)
	}
	out, _, _ = runBin(t, nil, "migrate", "--database", db)
	if !strings.Contains(out, "already up to date") {
		t.Fatalf("second migrate: %s", out)
	}
}

// TestVersionNamesTheBuild: the module version and what it was built from.
func TestVersionNamesTheBuild(t *testing.T) {
	t.Parallel()
	out, _, code := runBin(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "usher ") || !strings.Contains(out, "revision") || !strings.Contains(out, "go1.") {
		t.Fatalf("version: exit %d: %q", code, out)
	}
}

// TestContactsForgetFromTheCommandLine: a contact the venue pushed is
// erased by `usher contacts forget`, which says what it erased and
// records who did it and why; an unknown contact is named.
func TestContactsForgetFromTheCommandLine(t *testing.T) {
	t.Parallel()
	dsn := testdb.SQLite(t)
	srv := serve(t, "--database", dsn, "--config", writeConfigYAML(t, "institutions: [{code: myvenue, auth: {mode: none}}]\n"))
	if _, err := srv.Client("").Push(context.Background(), "myvenue", client.StreamContacts, seed(t, client.StreamContacts), client.PushAuth{}); err != nil {
		t.Fatal(err)
	}
	srv.StopClean(t)
	env := []string{"USHER_DATABASE=" + dsn}
	out, errOut, code := runBin(t, env, "contacts", "forget", "--institution", "myvenue", "--actor", "dpo@venue", "--reason", "ticket 12", "3346662")
	if code != 0 || !strings.Contains(out, "1 contact versions") {
		t.Fatalf("forget: exit %d %s %s", code, out, errOut)
	}
	out, errOut, code = runBin(t, env, "contacts", "erasures", "--institution", "myvenue")
	if code != 0 || !strings.Contains(out, `"actor":"dpo@venue"`) || strings.Contains(out, "Bond") {
		t.Fatalf("erasures: exit %d %s %s", code, out, errOut)
	}
	if _, errOut, code := runBin(t, env, "contacts", "forget", "--institution", "myvenue", "--actor", "x", "nobody"); code == 0 || !strings.Contains(errOut, "no contact nobody") {
		t.Fatalf("unknown contact: exit %d %s", code, errOut)
	}
}
