// Package tlsserve lets usher serve HTTPS itself, without a reverse proxy:
// from a certificate and key file that are re-read when they change on
// disk (a renewal by certbot or an operator needs no restart), or from
// certificates obtained and renewed over ACME (Let's Encrypt or another
// CA) for a fixed list of public host names.
package tlsserve

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Files returns a TLS configuration serving the PEM certificate chain in
// certFile with the key in keyFile. Both are checked now, so a wrong path
// or a mismatched pair stops the start; afterwards each handshake looks at
// the files' size and modification time, and loads them again when either
// changed. A pair that does not load (a renewal half written) is logged
// and the previous certificate kept, until the files change again.
func Files(certFile, keyFile string, logger *slog.Logger) (*tls.Config, error) {
	r := &reloader{certFile: certFile, keyFile: keyFile, logger: logger}
	if err := r.load(); err != nil {
		return nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.getCertificate}, nil
}

type stamp struct {
	size int64
	mod  time.Time
}

type reloader struct {
	certFile, keyFile string
	logger            *slog.Logger
	mu                sync.Mutex
	cert              *tls.Certificate
	loaded            [2]stamp
	failed            [2]stamp // the stamps of the last pair that did not load
}

func (r *reloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now, err := r.stamps()
	if err == nil && now != r.loaded && now != r.failed {
		if err := r.loadLocked(now); err != nil {
			r.failed = now
			r.logger.Error("tls: certificate files changed but do not load; still serving the previous certificate",
				"cert_file", r.certFile, "key_file", r.keyFile, "err", err)
		} else {
			r.logger.Info("tls: certificate reloaded", "cert_file", r.certFile, "not_after", r.cert.Leaf.NotAfter)
		}
	}
	return r.cert, nil
}

func (r *reloader) load() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, err := r.stamps()
	if err != nil {
		return err
	}
	return r.loadLocked(st)
}

func (r *reloader) loadLocked(st [2]stamp) error {
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("tls.cert_file %s and tls.key_file %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert, r.loaded = &cert, st
	return nil
}

func (r *reloader) stamps() ([2]stamp, error) {
	var out [2]stamp
	for i, name := range []string{r.certFile, r.keyFile} {
		fi, err := os.Stat(name)
		if err != nil {
			return out, fmt.Errorf("tls.cert_file or tls.key_file: %w", err)
		}
		out[i] = stamp{size: fi.Size(), mod: fi.ModTime()}
	}
	return out, nil
}
