package tlsserve_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/letsencrypt/challtestsrv"
	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"github.com/miekg/dns"

	"github.com/usher-hub/usher/internal/tlsserve"
)

// testHost is the public name usher gets a certificate for; the test's
// DNS server resolves every name to 127.0.0.1.
const testHost = "usher.test"

// dnsServer runs Pebble's companion test DNS server on loopback, answering
// 127.0.0.1 for every name (and no IPv6), and returns its address.
func dnsServer(t *testing.T) string {
	t.Helper()
	addr := freeTCPAndUDPPort(t)
	srv, err := challtestsrv.New(challtestsrv.Config{DNSAddrs: []string{addr}, Log: log.New(io.Discard, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetDefaultDNSIPv6("")
	srv.Run()
	t.Cleanup(srv.Shutdown)
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(testHost), dns.TypeA)
	deadline := time.Now().Add(10 * time.Second)
	for {
		// Pebble's validation authority asks over TCP.
		if _, _, err := (&dns.Client{Net: "tcp"}).Exchange(q, addr); err == nil {
			return addr
		} else if time.Now().After(deadline) {
			t.Fatalf("test DNS server on %s does not answer: %v", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pebble runs Let's Encrypt's ACME test server in this process, its
// validation authority checking TLS-ALPN-01 challenges on tlsPort of
// whatever the test DNS server says, and returns its directory URL, a
// client that trusts its API, and a pool with the root it issues under.
func pebble(t *testing.T, tlsPort int) (string, *http.Client, *x509.CertPool) {
	t.Helper()
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	logger := log.New(io.Discard, "", 0)
	store := db.NewMemoryStore()
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "test"}})
	validator := va.New(logger, 0, tlsPort, false, dnsServer(t), store)
	front := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	srv := httptest.NewTLSServer(front.Handler())
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(authority.GetRootCert(0).Cert)
	return srv.URL + wfe.DirectoryPath, srv.Client(), roots
}

// freeTCPAndUDPPort returns a loopback address whose port is free for both
// TCP and UDP: the test DNS server serves both on one port, and a port
// free for UDP alone was once in use for TCP by another package's server
// under make test, and Pebble's validation authority asks over TCP, so it
// failed at once ("no viable challenge type found").
func freeTCPAndUDPPort(t *testing.T) string {
	t.Helper()
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		pc, err := net.ListenPacket("udp", addr)
		ln.Close()
		if err == nil {
			pc.Close()
			return addr
		}
	}
	t.Fatal("no loopback port free for both TCP and UDP")
	return ""
}

// TestACMEObtainsACertificateFromPebble: usher's ACME configuration gets
// a certificate for its host name from a real ACME server (Pebble, run
// in-process and offline), answering the TLS-ALPN-01 challenge on its
// own listener, then serves HTTPS with it; a name not listed is refused
// without asking the CA.
func TestACMEObtainsACertificateFromPebble(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	directory, caClient, roots := pebble(t, port)
	cfg, _ := tlsserve.ACME(tlsserve.ACMEOptions{Hosts: []string{testHost}, CacheDir: t.TempDir(),
		DirectoryURL: directory, HTTPClient: caClient, Email: "ops@example.org"})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "usher") }),
		ErrorLog: log.New(tWriter{t}, "", 0)}
	go srv.Serve(tls.NewListener(ln, cfg))
	t.Cleanup(func() { srv.Close() })

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: testHost}}}
	res, err := client.Get("https://127.0.0.1:" + strconv.Itoa(port) + "/")
	if err != nil {
		t.Fatalf("HTTPS with the ACME certificate: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != "usher" || res.TLS.PeerCertificates[0].DNSNames[0] != testHost {
		t.Fatalf("answer %q with certificate for %v", body, res.TLS.PeerCertificates[0].DNSNames)
	}
	other := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "elsewhere.example"}}}
	if _, err := other.Get("https://127.0.0.1:" + strconv.Itoa(port) + "/"); err == nil {
		t.Fatal("a handshake for a name not in tls.acme.hosts succeeded")
	}
}

// tWriter sends the server's error log to the test log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
