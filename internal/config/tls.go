package config

import (
	"fmt"
	"strings"
)

// TLS lets usher serve HTTPS itself, so that a small venue receives
// S-360's pushes (sent to https URLs only) without a reverse proxy. Either
// a certificate and key file (re-read when they change on disk, so a
// renewal needs no restart) or ACME for public host names. Both empty:
// plain HTTP, for use behind a TLS-terminating proxy.
type TLS struct {
	// CertFile and KeyFile are PEM files. Env USHER_TLS_CERT_FILE,
	// USHER_TLS_KEY_FILE.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ACME obtains and renews certificates automatically.
	ACME ACME `yaml:"acme"`
}

// ACME configures automatic certificates (TLS-ALPN-01 challenge, answered
// on the TLS listener itself, which must therefore be reachable on port
// 443 of each host).
type ACME struct {
	// Hosts are the public host names to obtain certificates for; no
	// other name is ever asked for. Env USHER_ACME_HOSTS (comma-separated).
	Hosts []string `yaml:"hosts"`
	// Email is given to the CA for expiry notices. Optional.
	Email string `yaml:"email"`
	// CacheDir keeps the account key and certificates across restarts.
	// Required with hosts. Env USHER_ACME_CACHE_DIR.
	CacheDir string `yaml:"cache_dir"`
	// DirectoryURL is the CA's ACME directory; Let's Encrypt when empty.
	DirectoryURL string `yaml:"directory_url"`
	// AcceptTOS must be true: it says the CA's terms were read and accepted.
	AcceptTOS bool `yaml:"accept_tos"`
}

// Enabled reports whether usher serves TLS itself.
func (t TLS) Enabled() bool { return t.CertFile != "" || len(t.ACME.Hosts) > 0 }

func (t *TLS) applyEnv(getenv func(string) string) {
	if v := getenv("USHER_TLS_CERT_FILE"); v != "" {
		t.CertFile = v
	}
	if v := getenv("USHER_TLS_KEY_FILE"); v != "" {
		t.KeyFile = v
	}
	if v := getenv("USHER_ACME_HOSTS"); v != "" {
		t.ACME.Hosts = nil
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				t.ACME.Hosts = append(t.ACME.Hosts, h)
			}
		}
	}
	if v := getenv("USHER_ACME_CACHE_DIR"); v != "" {
		t.ACME.CacheDir = v
	}
}

func (t TLS) validate() error {
	if (t.CertFile == "") != (t.KeyFile == "") {
		return fmt.Errorf("tls.cert_file and tls.key_file (USHER_TLS_CERT_FILE, USHER_TLS_KEY_FILE) go together: set both or neither")
	}
	a := t.ACME
	if t.CertFile != "" && len(a.Hosts) > 0 {
		return fmt.Errorf("tls: set either cert_file/key_file or acme.hosts, not both")
	}
	if len(a.Hosts) == 0 {
		return nil
	}
	if a.CacheDir == "" {
		return fmt.Errorf("tls.acme.cache_dir (USHER_ACME_CACHE_DIR) is required with tls.acme.hosts: without it every restart asks the CA again and soon hits its rate limits")
	}
	if !a.AcceptTOS {
		return fmt.Errorf("tls.acme.accept_tos must be true: it says you accept the terms of the CA at %s", a.directory())
	}
	for _, h := range a.Hosts {
		if h == "" || strings.ContainsAny(h, " /:*") {
			return fmt.Errorf("tls.acme.hosts: %q is not a host name", h)
		}
	}
	return nil
}

// directory names the ACME directory in messages.
func (a ACME) directory() string {
	if a.DirectoryURL == "" {
		return "Let's Encrypt"
	}
	return a.DirectoryURL
}
