package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher/internal/testdb"
)

// privatePostgres is a throwaway PostgreSQL cluster that belongs to one
// test, which may stop and start it at will. The machine's shared server
// is never stopped: other tests and people use it.
type privatePostgres struct {
	bin   string   // directory holding initdb and pg_ctl
	dir   string   // holds data/, the log and the socket
	port  int      // on 127.0.0.1
	runAs []string // runuser prefix when the test runs as root
}

// startPrivatePostgres makes and starts a cluster in a temporary
// directory, stopped and removed when t ends. Without PostgreSQL's server
// binaries it skips, unless Postgres tests are required (testdb.Required).
func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	bin := postgresBin()
	if bin == "" {
		if testdb.Required() {
			t.Fatal("initdb and pg_ctl not found in /usr/lib/postgresql/*/bin or PATH, and Postgres tests are required here")
		}
		t.Skip("initdb and pg_ctl not found: skipping a test that stops its own PostgreSQL cluster")
	}
	dir, err := os.MkdirTemp("", "usher-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &privatePostgres{bin: bin, dir: dir, port: freePort(t)}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		p.runAs = []string{"runuser", "-u", "postgres", "--"}
		chownToPostgres(t, dir)
	}
	// -N: the cluster is thrown away, so initdb need not fsync; the server
	// itself keeps fsync on, since the test relies on durable commits.
	p.run(t, "initdb", "-D", p.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "-N")
	p.Start(t)
	t.Cleanup(func() { p.stop(t, "immediate") })
	return p
}

func postgresBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d
		}
	}
	if path, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(path)
	}
	return ""
}

func chownToPostgres(t *testing.T, dir string) {
	t.Helper()
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("running as root needs a postgres user to run the cluster as: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (p *privatePostgres) data() string { return filepath.Join(p.dir, "data") }

func (p *privatePostgres) run(t *testing.T, tool string, args ...string) {
	t.Helper()
	argv := append(append(append([]string{}, p.runAs...), filepath.Join(p.bin, tool)), args...)
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", tool, err, out)
	}
}

// Start starts the cluster and waits until it accepts connections.
func (p *privatePostgres) Start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", p.port, p.dir)
	p.run(t, "pg_ctl", "-D", p.data(), "-l", filepath.Join(p.dir, "log"), "-o", opts, "-w", "-t", "60", "start")
}

// Crash stops the cluster at once, as a crash would: connections are cut
// and the next start recovers from the WAL.
func (p *privatePostgres) Crash(t *testing.T) {
	t.Helper()
	p.stop(t, "immediate")
}

func (p *privatePostgres) stop(t *testing.T, mode string) {
	argv := append(append(append([]string{}, p.runAs...), filepath.Join(p.bin, "pg_ctl")), "-D", p.data(), "-m", mode, "-w", "stop")
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		t.Logf("pg_ctl stop: %v\n%s", err, out) // already stopped in cleanup
	}
}

// URL returns the URL of database name on the cluster.
func (p *privatePostgres) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, name)
}

// CreateDatabase creates database name and returns its URL.
func (p *privatePostgres) CreateDatabase(t *testing.T, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	return p.URL(name)
}
