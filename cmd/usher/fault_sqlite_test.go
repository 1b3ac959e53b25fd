package main

import (
	"fmt"
	"io"
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
	dir := smallFilesystem(t, 4<<20)
	ballast := filepath.Join(dir, "ballast")
	if err := os.WriteFile(ballast, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	dsn := "sqlite:" + filepath.Join(dir, "usher.db")
	srv := e2eStart(t, "--config", faultConfig(t), "--database", dsn)
	target, gen := faultTarget(srv.URL), load.NewGenerator(13)

	var acked []load.Payload
	var refused load.Payload
	for i := 0; refused.Body == nil; i++ {
		if i == 200 {
			t.Fatal("200 payloads accepted on a 4 MiB filesystem: it never filled")
		}
		p := gen.Payload(load.Mix[i%len(load.Mix)], 50)
		status, body, err := target.Push(t.Context(), http.DefaultClient, p)
		switch {
		case err != nil:
			t.Fatal(err)
		case status == http.StatusOK:
			acked = append(acked, p)
		case status == http.StatusServiceUnavailable && strings.Contains(body, `"unavailable"`):
			refused = p
		default:
			t.Fatalf("push %d on a filling disk: %d %s, want 200 or 503", i, status, body)
		}
	}
	checkExactlyOnce(t, dsn, acked) // nothing of the refused payload

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	if _, err := resend(target, http.DefaultClient, refused); err != nil {
		t.Fatalf("resending the refused payload once space is free: %v", err)
	}
	srv.Stop(t)
	if logs := srv.stderr.String(); !strings.Contains(logs, "database or disk is full") {
		t.Errorf("the logs do not say the disk is full:\n%s", grep(logs, "ERROR"))
	}
	checkExactlyOnce(t, dsn, append(acked, refused))
}

// TestReadOnlyDatabaseIs503 starts usher on a database file it may read
// but not write (restored with the wrong owner, or a read-only volume):
// pushes get 503, the logs say the database is read-only, and nothing is
// stored.
func TestReadOnlyDatabaseIs503(t *testing.T) {
	dir := worldReadableDir(t)
	path := filepath.Join(dir, "usher.db")
	dsn := "sqlite:" + path
	cfg := faultConfig(t)
	srv := e2eStart(t, "--config", cfg, "--database", dsn)
	first := load.NewGenerator(17).Payloads(2, 50)
	for _, p := range first[:1] {
		if _, err := resend(faultTarget(srv.URL), http.DefaultClient, p); err != nil {
			t.Fatal(err)
		}
	}
	srv.Stop(t)

	cmd := readOnlyUsher(t, dir, path, cfg)
	srv = e2eStartCmd(t, cmd, "--config", filepath.Join(dir, "usher.yaml"), "--database", dsn)
	status, body, err := faultTarget(srv.URL).Push(t.Context(), http.DefaultClient, first[1])
	if err != nil || status != http.StatusServiceUnavailable || !strings.Contains(body, `"unavailable"`) {
		t.Fatalf("push to a read-only database: %d %s %v, want 503 unavailable", status, body, err)
	}
	srv.Stop(t)
	if logs := srv.stderr.String(); !strings.Contains(logs, "readonly database") {
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
	copyFile(t, e2eBinary(t), bin, 0o755)
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

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(fmt.Errorf("copy %s: %w", from, err))
	}
}
