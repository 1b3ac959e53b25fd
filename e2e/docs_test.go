package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The shell blocks of README.md and docs/*.md are run by
// TestDocsShellBlocks, so the docs cannot drift from the binary. Every
// ```sh (bash, shell, console) block carries a marker, an HTML comment on
// the line before its fence; an unmarked block fails the test:
//
//	<!-- test: run -->          run it; it must exit 0
//	<!-- test: server -->       start it in the background (stopping the
//	                            previous server) and wait until the docs'
//	                            address, 127.0.0.1:8080, accepts connections
//	<!-- test: background -->   start it in the background; it must still
//	                            run (or have exited 0) after the file's blocks
//	<!-- test: skip REASON -->  not run here, and why
//	<!-- test: file NAME -->    (on any other block) write it to NAME
//	<!-- test: start COMMAND --> (alone) start COMMAND as a server block
//	<!-- test: env NAME=VALUE --> (alone) set NAME for the file's next blocks
//
// The blocks of one file run in order, in one scratch directory that
// links to the repository's top-level entries (testdata/, deploy/, …),
// with bash -euo pipefail and these substitutions, so what runs is what
// a reader types:
//   - "go run ./cmd/usher" becomes "usher": the binary built for this run,
//     first on PATH;
//   - 127.0.0.1:8080 and 127.0.0.1:8090 become free loopback ports (and
//     USHER_LISTEN is set to the first, usher's default address);
//   - "…" (a secret the reader chooses) becomes docsSecret;
//   - "usher demo" listens on that port too (--listen);
//   - "open URL" (a browser) becomes a curl that must succeed, and every
//     curl fails on an HTTP error (--fail-with-body), as a reader would
//     notice one;
//   - docsEnv below is the environment (the variables the docs name).

const docsSecret = "docs-test-secret-0123456789"

var docsEnv = []string{
	"KEY=" + docsSecret, "USHER_ADMIN_KEY=" + docsSecret, "MYVENUE_KEY=" + docsSecret,
	"MYVENUE_PUSH_PASSWORD=" + docsSecret, "USHER_SESSION_SECRET=" + docsSecret + docsSecret,
}

var (
	marker = regexp.MustCompile(`^<!-- test: (run|server|background|skip|file|start|env)\b ?(.*?) ?-->$`)
	fence  = regexp.MustCompile("^```([a-z]*)")
)

type docBlock struct {
	file       string
	line       int
	info       string // the fence's info string: sh, yaml, …
	kind, arg  string // the marker
	text       string
	standalone bool // a start marker with no block
}

// readBlocks returns the marked blocks of a markdown file, in order, and
// the positions of shell blocks that carry no marker.
func readBlocks(t *testing.T, path string) (blocks []docBlock, unmarked []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var prev string
	var cur *docBlock
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case cur != nil && strings.HasPrefix(line, "```"):
			if cur.kind != "" {
				blocks = append(blocks, *cur)
			}
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		case fence.MatchString(line):
			cur = &docBlock{file: filepath.Base(path), line: n, info: fence.FindStringSubmatch(line)[1]}
			if m := marker.FindStringSubmatch(strings.TrimSpace(prev)); m != nil {
				cur.kind, cur.arg = m[1], m[2]
			}
			if isShell(cur.info) && cur.kind == "" {
				unmarked = append(unmarked, fmt.Sprintf("%s:%d", cur.file, n))
			}
		default:
			if m := marker.FindStringSubmatch(strings.TrimSpace(line)); m != nil && (m[1] == "start" || m[1] == "env") {
				blocks = append(blocks, docBlock{file: filepath.Base(path), line: n, kind: m[1], arg: m[2], text: m[2] + "\n", standalone: true})
			}
		}
		prev = line
	}
	return blocks, unmarked
}

func isShell(info string) bool {
	return info == "sh" || info == "bash" || info == "shell" || info == "console"
}

func TestDocsShellBlocks(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	files = append([]string{filepath.Join(repoRoot, "README.md")}, files...)
	for _, path := range files {
		blocks, unmarked := readBlocks(t, path)
		for _, u := range unmarked {
			t.Errorf("%s: a shell block without a <!-- test: … --> marker (see e2e/docs_test.go)", u)
		}
		if len(blocks) == 0 {
			continue
		}
		t.Run(filepath.Base(path), func(t *testing.T) { runDocBlocks(t, blocks) })
	}
}

// docRun is one file's scratch directory, addresses and processes.
type docRun struct {
	t              *testing.T
	dir, bin       string
	addr, addr2    string
	server         *exec.Cmd
	serverExited   chan error
	serverLog      *strings.Builder
	env            []string
	background     []*exec.Cmd
	backgroundDone []chan error
}

func runDocBlocks(t *testing.T, blocks []docBlock) {
	r := &docRun{t: t, dir: scratchRepo(t), bin: filepath.Dir(usherBin), addr: freeAddr(t), addr2: freeAddr(t)}
	t.Cleanup(r.stopAll)
	for _, b := range blocks {
		where := fmt.Sprintf("%s:%d", b.file, b.line)
		switch b.kind {
		case "env":
			r.env = append(r.env, b.arg)
		case "skip":
			if b.arg == "" {
				t.Errorf("%s: a skip marker must say why", where)
			}
		case "file":
			if err := os.WriteFile(filepath.Join(r.dir, b.arg), []byte(r.substitute(b.text)), 0o600); err != nil {
				t.Fatal(err)
			}
		case "run":
			out, err := r.runBlock(b.text)
			if err != nil {
				t.Fatalf("%s failed: %v\n--- block\n%s--- output\n%s%s", where, err, r.substitute(b.text), out, r.serverOutput())
			}
		case "server", "start":
			r.startServer(where, b.text)
		case "background":
			cmd := r.command(context.Background(), b.text)
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			r.background = append(r.background, cmd)
			r.backgroundDone = append(r.backgroundDone, done)
			t.Cleanup(func() {
				select {
				case err := <-done:
					if err != nil {
						t.Errorf("%s exited: %v\n%s", where, err, out.String())
					}
					done <- err
				default:
				}
			})
		}
	}
}

// substitute applies the substitutions documented above.
func (r *docRun) substitute(s string) string {
	s = strings.ReplaceAll(s, "go run ./cmd/usher", "usher")
	s = strings.ReplaceAll(s, "127.0.0.1:8080", r.addr)
	s = strings.ReplaceAll(s, "127.0.0.1:8090", r.addr2)
	s = strings.ReplaceAll(s, "…", docsSecret)
	s = strings.ReplaceAll(s, "usher demo", "usher demo --listen "+r.addr)
	s = regexp.MustCompile(`(?m)^open (\S+)`).ReplaceAllString(s, "curl -sS $1 >/dev/null")
	return regexp.MustCompile(`(?m)^curl `).ReplaceAllString(s, "curl --fail-with-body -sS ")
}

func (r *docRun) command(ctx context.Context, script string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", r.substitute(script))
	cmd.Dir = r.dir
	cmd.Env = append([]string{"PATH=" + r.bin + ":" + os.Getenv("PATH"), "HOME=" + r.dir, "USHER_LISTEN=" + r.addr,
		"GOCACHE=" + goEnv(r.t, "GOCACHE"), "GOMODCACHE=" + goEnv(r.t, "GOMODCACHE"), "GOFLAGS=" + os.Getenv("GOFLAGS")}, docsEnv...)
	cmd.Env = append(cmd.Env, r.env...)
	// Its own process group, so stopping it stops what it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	return cmd
}

// runBlock runs a block to its end. What the block itself started in the
// background (a reader's "usher serve &") is stopped with it: the block's
// process group is ended once its shell exits, and the output is taken
// without waiting for those children to close it.
func (r *docRun) runBlock(script string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cmd := r.command(ctx, script)
	cmd.WaitDelay = 2 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	err := cmd.Wait()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil // the shell exited 0; only its background children held the output
	}
	return out.Bytes(), err
}

func (r *docRun) startServer(where, script string) {
	r.stopServer()
	cmd := r.command(context.Background(), script)
	r.serverLog = &strings.Builder{}
	cmd.Stdout, cmd.Stderr = r.serverLog, r.serverLog
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { err := cmd.Wait(); exited <- err; close(exited) }()
	r.server, r.serverExited = cmd, exited
	deadline := time.Now().Add(waitTimeout)
	for {
		if c, err := net.DialTimeout("tcp", r.addr, time.Second); err == nil {
			c.Close()
			return
		}
		select {
		case err := <-exited:
			r.server = nil
			r.t.Fatalf("%s: the server exited (%v) before it listened:\n%s", where, err, r.serverLog.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: nothing listens on %s:\n%s", where, r.addr, r.serverLog.String())
		}
	}
}

func (r *docRun) serverOutput() string {
	if r.serverLog == nil {
		return ""
	}
	return "--- server\n" + r.serverLog.String()
}

func (r *docRun) stopServer() {
	if r.server == nil {
		return
	}
	_ = syscall.Kill(-r.server.Process.Pid, syscall.SIGTERM)
	// Wait until it has exited (it may still be closing its database in
	// the scratch directory), then until the port is free for the next.
	select {
	case <-r.serverExited:
	case <-time.After(waitTimeout):
	}
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", r.addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
	r.server = nil
}

func (r *docRun) stopAll() {
	r.stopServer()
	for _, cmd := range r.background {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
}

// scratchRepo is a directory that links to the repository's top-level
// entries, so blocks find testdata/ and deploy/ and write their files
// (databases, outputs) somewhere thrown away.
func scratchRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if name == ".git" || name == "usher" || strings.HasSuffix(name, ".db") || strings.Contains(name, ".db-") {
			continue
		}
		if err := os.Symlink(filepath.Join(repoRoot, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
