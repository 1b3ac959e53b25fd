package tlsserve

import (
	"crypto/tls"
	"net/http"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// ACMEOptions configure automatic certificates.
type ACMEOptions struct {
	// Hosts are the only names a certificate is asked for: a handshake
	// for any other name fails, so nobody can make usher request
	// certificates for names of their choosing.
	Hosts []string
	// Email is given to the CA for expiry notices; optional.
	Email string
	// CacheDir keeps the account key and the certificates.
	CacheDir string
	// DirectoryURL is the CA's ACME directory; Let's Encrypt when empty.
	DirectoryURL string
	// HTTPClient talks to the CA; nil for the default. Tests set one that
	// trusts their CA.
	HTTPClient *http.Client
}

// ACME returns a TLS configuration whose certificates autocert obtains
// and renews (30 days before expiry), answering the CA's TLS-ALPN-01
// challenge on the same listener: that listener must be what the CA
// reaches on port 443 of each host. The Manager is returned too, for its
// HTTP-01 handler should an operator want it.
func ACME(o ACMEOptions) (*tls.Config, *autocert.Manager) {
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(o.CacheDir),
		HostPolicy: autocert.HostWhitelist(o.Hosts...),
		Email:      o.Email,
		Client:     &acme.Client{DirectoryURL: o.DirectoryURL, HTTPClient: o.HTTPClient},
	}
	cfg := m.TLSConfig()
	cfg.MinVersion = tls.VersionTLS12
	return cfg, m
}
