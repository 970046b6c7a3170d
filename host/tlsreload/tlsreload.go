// Package tlsreload serves TLS with a certificate that can be replaced
// while the service runs.
//
// A Reloader loads a PEM certificate chain and its key from two files and
// hands them to crypto/tls through GetCertificate, from an atomic pointer:
// Reload (on SIGHUP, through Run) reads the files again and swaps the
// pointer, so new handshakes get the new certificate while established
// connections keep theirs. A reload that fails (a missing file, a key that
// does not match, a half-written file) keeps the certificate in use and
// says why in the log, so a renewal gone wrong never takes the listener
// down.
package tlsreload

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// Reloader holds the current certificate of one certificate/key pair of
// files. It is safe for concurrent use.
type Reloader struct {
	certFile, keyFile string
	log               *slog.Logger
	cert              atomic.Pointer[tls.Certificate]
}

// New loads certFile and keyFile (PEM) and returns their Reloader; it fails
// when they cannot be loaded. logger receives reloads (nil discards).
func New(certFile, keyFile string, logger *slog.Logger) (*Reloader, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Reloader{certFile: certFile, keyFile: keyFile, log: logger}
	c, err := r.load()
	if err != nil {
		return nil, err
	}
	r.cert.Store(c)
	return r, nil
}

func (r *Reloader) load() (*tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: load %s and %s: %w", r.certFile, r.keyFile, err)
	}
	if c.Leaf == nil {
		if c.Leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return nil, fmt.Errorf("tls: parse %s: %w", r.certFile, err)
		}
	}
	return &c, nil
}

// Reload reads the files again. On success new handshakes use the new
// certificate; on failure the current one stays and the error is logged
// and returned.
func (r *Reloader) Reload() error {
	c, err := r.load()
	if err != nil {
		r.log.Error("TLS certificate reload failed; keeping the current certificate", "err", err)
		return err
	}
	r.cert.Store(c)
	attrs := []any{"subject", c.Leaf.Subject.String(), "notAfter", c.Leaf.NotAfter.UTC().Format(time.RFC3339), "serial", c.Leaf.SerialNumber.String()}
	if time.Now().After(c.Leaf.NotAfter) {
		r.log.Warn("TLS certificate reloaded, but it has expired", attrs...)
	} else {
		r.log.Info("TLS certificate reloaded", attrs...)
	}
	return nil
}

// Certificate returns the certificate in use.
func (r *Reloader) Certificate() *tls.Certificate { return r.cert.Load() }

// GetCertificate implements tls.Config.GetCertificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c := r.cert.Load()
	if c == nil {
		return nil, errors.New("tls: no certificate loaded")
	}
	return c, nil
}

// Config returns a server tls.Config that takes its certificate from r:
// TLS 1.2 or later, HTTP/2 and HTTP/1.1.
func (r *Reloader) Config() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: r.GetCertificate,
		NextProtos:     []string{"h2", "http/1.1"},
	}
}

// Run reloads the certificate on every value from signals (SIGHUP, as
// registered by the caller with signal.Notify) until ctx ends.
func (r *Reloader) Run(ctx context.Context, signals <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-signals:
			_ = r.Reload() // logged; the current certificate stays
		}
	}
}
