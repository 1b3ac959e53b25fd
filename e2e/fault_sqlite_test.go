package e2e

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/usher-hub/usher/bench/load"
	"github.com/usher-hub/usher/client"
)

// smallFilesystem mounts a tmpfs of size bytes for the test and returns
// its path. Mounting needs root; elsewhere the test skips, and the
// engine-level TestDiskFullRollsBackWholePayloads still covers SQLITE_FULL.
func smallFilesystem(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small filesystem needs root; internal/store/sqlite's disk-full test covers SQLITE_FULL")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.Itoa(size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); internal/store/sqlite's disk-full test covers SQLITE_FULL", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// TestDiskFullIs503AndStoresNoPartialPayload fills the filesystem under a
// SQLite database while pushing: once it is full, pushes get 503 and the
// logs say why, and no part of a refused payload is stored. Once space is
// freed, the refused payload is accepted when resent.
func TestDiskFullIs503AndStoresNoPartialPayload(t *testing.T) {
	t.Parallel()
	dir := smallFilesystem(t, 4<<20)
	ballast := filepath.Join(dir, "ballast")
	if err := os.WriteFile(ballast, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	dsn := "sqlite:" + filepath.Join(dir, "usher.db")
	srv := serve(t, "--config", faultConfig(t), "--database", dsn)
	c, gen := srv.Client(""), load.NewGenerator(13)

	var acked []load.Payload
	var refused load.Payload
	for i := 0; refused.Body == nil; i++ {
		if i == 200 {
			t.Fatal("200 payloads accepted on a 4 MiB filesystem: it never filled")
		}
		p := gen.Payload(load.Mix[i%len(load.Mix)], 50)
		_, err := c.Push(t.Context(), load.Institution.Code, client.Stream(p.Stream), p.Body, faultAuth())
		var e *client.Error
		switch {
		case err == nil:
			acked = append(acked, p)
		case errors.As(err, &e) && e.Status == http.StatusServiceUnavailable && e.Code == "unavailable":
			refused = p
		default:
			t.Fatalf("push %d on a filling disk: %v, want 200 or 503", i, err)
		}
	}
	checkExactlyOnce(t, dsn, acked) // nothing of the refused payload

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	if _, err := resend(c, refused); err != nil {
		t.Fatalf("resending the refused payload once space is free: %v", err)
	}
	srv.Stop()
	if logs := srv.Logs(); !strings.Contains(logs, "database or disk is full") {
		t.Errorf("the logs do not say the disk is full:\n%s", grep(logs, "ERROR"))
	}
	checkExactlyOnce(t, dsn, append(acked, refused))
}

// TestReadOnlyDatabaseIs503 starts usher on a database file it may read
// but not write (restored with the wrong owner, or a read-only volume):
// pushes get 503, the logs say the database is read-only, and nothing is
// stored.
func TestReadOnlyDatabaseIs503(t *testing.T) {
	t.Parallel()
	dir := worldReadableDir(t)
	path := filepath.Join(dir, "usher.db")
	dsn := "sqlite:" + path
	cfg := faultConfig(t)
	srv := serve(t, "--config", cfg, "--database", dsn)
	first := load.NewGenerator(17).Payloads(2, 50)
	for _, p := range first[:1] {
		if _, err := resend(srv.Client(""), p); err != nil {
			t.Fatal(err)
		}
	}
	srv.Stop()

	cmd := readOnlyUsher(t, dir, path, cfg)
	srv = serveCmd(t, cmd, nil, "--config", filepath.Join(dir, "usher.yaml"), "--database", dsn)
	_, err := srv.Client("").Push(t.Context(), load.Institution.Code, client.Stream(first[1].Stream), first[1].Body, faultAuth())
	if e := (*client.Error)(nil); !errors.As(err, &e) || e.Status != http.StatusServiceUnavailable || e.Code != "unavailable" {
		t.Fatalf("push to a read-only database: %v, want 503 unavailable", err)
	}
	srv.Stop()
	if logs := srv.Logs(); !strings.Contains(logs, "readonly database") {
		t.Errorf("the logs do not say the database is read-only:\n%s", grep(logs, "ERROR"))
	}
	checkExactlyOnce(t, dsn, first[:1])
}

// worldReadableDir returns a temporary directory another user may use.
func worldReadableDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "usher-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// Writable by all, so SQLite can make its -wal and -shm files beside
	// the read-only database, as it may on a real volume.
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// readOnlyUsher returns a command running usher so that the database file
// at path is read-only to it. File modes do not bind root, so as root it
// runs a copy of the binary as nobody; otherwise the file is made 0444.
func readOnlyUsher(t *testing.T, dir, path, cfg string) *exec.Cmd {
	t.Helper()
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "usher")
	copyFile(t, usherBin, bin, 0o755)
	copyFile(t, cfg, filepath.Join(dir, "usher.yaml"), 0o644)
	cmd := exec.Command(bin)
	if os.Geteuid() != 0 {
		return cmd
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("running as root needs a nobody user to run usher as: %v", err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	return cmd
}
