package e2e

import (
	"bufio"
	"bytes"
	"debug/elf"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestSystemdUnitVerifies checks deploy/usher.service with
// systemd-analyze: `verify` must have nothing to say about it, and
// `security` must rate its exposure low. verify runs in a scratch root
// holding the unit, the distribution's units it depends on and the built
// binary at the ExecStart path, so the unit is checked unchanged.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed: the unit is not verified here (apt-get install systemd)")
	}
	unit, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "usher.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"User=usher", "ProtectSystem=strict", "StateDirectory=usher", "NoNewPrivileges=yes",
		"ExecStart=/usr/local/bin/usher serve", "CapabilityBoundingSet=\n"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("deploy/usher.service lacks %q", want)
		}
	}
	root := t.TempDir()
	copyTree(t, "/usr/lib/systemd/system", filepath.Join(root, "usr/lib/systemd/system"))
	copyFile(t, usherBin, filepath.Join(root, "usr/local/bin/usher"), 0o755)
	copyFile(t, filepath.Join(repoRoot, "deploy", "usher.service"), filepath.Join(root, "etc/systemd/system/usher.service"), 0o644)
	out, err := exec.Command(analyze, "verify", "--root="+root, "/etc/systemd/system/usher.service").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, _ = exec.Command(analyze, "security", "--offline=yes", filepath.Join(root, "etc/systemd/system/usher.service")).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for usher.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security printed no exposure level:\n%s", out)
	}
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level > 2.0 {
		t.Fatalf("exposure level %.1f, want at most 2.0 (systemd's \"OK\"):\n%s", level, out)
	}
}

// image is what the final stage of the Dockerfile describes.
type image struct {
	copies     [][3]string // chown, source in the build stage, destination
	copyLines  [][]string
	env        []string
	user       string
	entrypoint []string
	cmd        []string
}

// readDockerfile parses the final stage of the Dockerfile: the lines this
// test needs to rebuild the image's file system without a daemon.
func readDockerfile(t *testing.T) (image, string) {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var img image
	var build string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		switch fields[0] {
		case "FROM":
			img = image{} // only the final stage counts
		case "RUN":
			if strings.Contains(sc.Text(), "deploy/build.sh") {
				build = sc.Text()
			}
		case "COPY":
			img.copyLines = append(img.copyLines, fields[1:])
		case "ENV":
			img.env = append(img.env, fields[1:]...)
		case "USER":
			img.user = fields[1]
		case "ENTRYPOINT":
			img.entrypoint = jsonArray(t, sc.Text())
		case "CMD":
			img.cmd = jsonArray(t, sc.Text())
		}
	}
	for _, args := range img.copyLines {
		if !strings.HasPrefix(args[0], "--from=build") {
			t.Fatalf("Dockerfile: the final stage copies %v from outside the build stage; this test cannot rebuild that", args)
		}
		chown, args := "", args[1:]
		if strings.HasPrefix(args[0], "--chown=") {
			chown, args = strings.TrimPrefix(args[0], "--chown="), args[1:]
		}
		img.copies = append(img.copies, [3]string{chown, args[0], args[1]})
	}
	if build == "" {
		t.Fatal("Dockerfile: no RUN line runs deploy/build.sh; the binary tested here would not be the image's")
	}
	return img, build
}

func jsonArray(t *testing.T, line string) []string {
	t.Helper()
	var out []string
	for _, m := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(line, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestContainerImageServesAPush builds the binary as the Dockerfile does
// (deploy/build.sh), lays out a root file system holding exactly what the
// final stage copies, and runs the image's entrypoint there with chroot,
// as the image's user, with the image's environment: a push must be
// accepted. No container daemon runs on the test machines; this proves
// the image's content is enough.
func TestContainerImageServesAPush(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chroot needs root: run the tests as root to check the container image's content")
	}
	if _, err := exec.LookPath("chroot"); err != nil {
		t.Skip("chroot is not installed: the container image's content is not checked here")
	}
	img, _ := readDockerfile(t)
	out := filepath.Join(t.TempDir(), "usher")
	build := exec.Command("sh", "deploy/build.sh", out)
	build.Dir = repoRoot
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("deploy/build.sh: %v\n%s", err, b)
	}
	assertStatic(t, out)

	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	// What the build stage holds at each source path.
	buildStage := map[string]string{"/out/usher": out, "/out/state": "", "/etc/ssl/certs/ca-certificates.crt": "/etc/ssl/certs/ca-certificates.crt"}
	for _, c := range img.copies {
		src, ok := buildStage[c[1]]
		if !ok {
			t.Fatalf("Dockerfile copies %s, which this test does not know how to rebuild", c[1])
		}
		dst := filepath.Join(root, c[2])
		if src == "" {
			mustMkdir(t, dst)
		} else {
			copyFile(t, src, dst, 0o755)
		}
		if c[0] != "" {
			uid, gid, _ := strings.Cut(c[0], ":")
			u, _ := strconv.Atoi(uid)
			g, _ := strconv.Atoi(gid)
			if err := os.Chown(dst, u, g); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The configuration compose mounts at /etc/usher/usher.yaml.
	mustMkdir(t, filepath.Join(root, "etc/usher"))
	config := "institutions:\n  - code: myvenue\n    auth: {mode: basic, username: s360, secret_env: MYVENUE_PUSH_PASSWORD}\n"
	if err := os.WriteFile(filepath.Join(root, "etc/usher/usher.yaml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}

	if probe, err := exec.Command("chroot", "--userspec="+img.user, root, img.entrypoint[0], "version").CombinedOutput(); err != nil {
		if bytes.Contains(probe, []byte("Operation not permitted")) {
			t.Skipf("chroot is not permitted here (run the tests as root): %s", probe)
		}
		t.Fatalf("the binary does not run in the image's root: %v\n%s", err, probe)
	}
	args := append([]string{"--userspec=" + img.user, root}, img.entrypoint...)
	cmd := exec.Command("chroot", append(args, img.cmd...)...)
	const password = "push-password-of-16+chars"
	// The image's environment, but on a free loopback port.
	cmd.Env = append(img.env, "USHER_LISTEN=127.0.0.1:0", "MYVENUE_PUSH_PASSWORD="+password)
	cmd.Dir = "/"
	srv := startServer(t, cmd)

	body, err := os.ReadFile(filepath.Join(repoRoot, "testdata/s360/ticketchecks.json"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/s360/ticketchecks/myvenue", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("s360", password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("push: %s\n%s", resp.Status, srv.Log())
	}
	if _, err := os.Stat(filepath.Join(root, "var/lib/usher/usher.db")); err != nil {
		t.Fatalf("the database is not in the image's state directory: %v", err)
	}
}

// assertStatic fails unless path is an ELF executable with no dynamic
// loader and no shared libraries: what runs in an image FROM scratch.
func assertStatic(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatalf("%s asks for a dynamic loader: not static (CGO_ENABLED=0?)", path)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("%s needs shared libraries %v", path, libs)
	}
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	mustMkdir(t, filepath.Dir(dst))
	if err := os.WriteFile(dst, data, mode); err != nil {
		t.Fatal(err)
	}
}

// copyTree copies a directory of unit files, symbolic links included.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	mustMkdir(t, filepath.Dir(dst))
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("copy %s: %v\n%s", src, err, out)
	}
}
