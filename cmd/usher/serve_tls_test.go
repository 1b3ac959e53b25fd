package main

import (
	"crypto/tls"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher/internal/testdb"
	"github.com/usher-hub/usher/internal/tlsserve/tlstest"
)

var httpsURL = regexp.MustCompile(`listening on (https://\S+)`)

// TestServeTLSFromFilesAndReload: `usher serve` with tls.cert_file and
// tls.key_file answers HTTPS with that certificate, picks up a renewed
// one from the files without a restart, and keeps serving the last good
// one when the files are replaced by something that does not load.
func TestServeTLSFromFilesAndReload(t *testing.T) {
	ca := tlstest.NewCA(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	start := time.Now().Add(-time.Hour)
	ca.WriteLeaf(t, 1001, certFile, keyFile, start)
	p, urls := serveInProcess(t, "listen: 127.0.0.1:0\ndatabase: "+testdb.SQLite(t)+
		"\ninstitutions: [{code: myvenue, auth: {mode: none}}]\ntls: {cert_file: "+certFile+", key_file: "+keyFile+"}\n", nil, httpsURL)
	base := urls[0]
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}, DisableKeepAlives: true}}
	serial := func() int64 {
		t.Helper()
		res, err := client.Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET /healthz over TLS: %d", res.StatusCode)
		}
		return res.TLS.PeerCertificates[0].SerialNumber.Int64()
	}
	if s := serial(); s != 1001 {
		t.Fatalf("serves certificate %d, want 1001", s)
	}
	ca.WriteLeaf(t, 1002, certFile, keyFile, start.Add(time.Minute))
	if s := serial(); s != 1002 {
		t.Fatalf("after renewal on disk serves certificate %d, want 1002", s)
	}
	if err := os.WriteFile(certFile, []byte("half written"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s := serial(); s != 1002 {
		t.Fatalf("with a broken file serves %d, want the last good 1002", s)
	}
	if !strings.Contains(p.stderr.String(), "do not load") {
		t.Errorf("the broken certificate file was not logged:\n%s", p.stderr)
	}
	// Plain HTTP to the TLS port gets Go's 400, never the API.
	if res, err := http.Get(strings.Replace(base, "https://", "http://", 1) + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Error("plain HTTP is served on the TLS listener")
		}
	}
}

// TestServeTLSRefusesBadFiles: a missing or mismatched pair stops the
// start with an error naming the settings.
func TestServeTLSRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	_, _, err := runForTest(t, map[string]string{"USHER_DATABASE": testdb.SQLite(t),
		"USHER_TLS_CERT_FILE": filepath.Join(dir, "none.pem"), "USHER_TLS_KEY_FILE": filepath.Join(dir, "none.key")}, "serve")
	if err == nil || !strings.Contains(err.Error(), "tls.cert_file") || !strings.Contains(err.Error(), "none.pem") {
		t.Fatalf("serve with missing certificate files: %v", err)
	}
}
