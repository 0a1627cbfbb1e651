package web

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// TLSConfig returns the server's TLS settings around getCert: TLS 1.2 at
// least, and for TLS 1.2 only forward-secret AEAD cipher suites (TLS 1.3's
// are all of that kind and not configurable). ALPN offers HTTP/2, then
// HTTP/1.1, then nextProtos, such as "acme-tls/1" for ACME's TLS-ALPN-01
// challenge.
func TLSConfig(getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error), nextProtos ...string) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: getCert,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		NextProtos: append([]string{"h2", "http/1.1"}, nextProtos...),
	}
}

// CertReloader serves a certificate and key from files and reads them again
// on Reload (the server calls it on SIGHUP), so a renewed certificate takes
// effect without a restart. A failed reload keeps the certificate in use.
type CertReloader struct {
	certFile, keyFile string
	cert              atomic.Pointer[tls.Certificate]
}

// NewCertReloader loads the certificate chain and key; an unreadable,
// mismatched or expired pair is an error.
func NewCertReloader(certFile, keyFile string) (*CertReloader, error) {
	c := &CertReloader{certFile: certFile, keyFile: keyFile}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload reads the files again and, when they hold a valid pair, serves it
// to new connections from now on.
func (c *CertReloader) Reload() error {
	cert, err := LoadCertificate(c.certFile, c.keyFile, time.Now())
	if err != nil {
		return err
	}
	c.cert.Store(cert)
	return nil
}

// GetCertificate serves the current certificate (tls.Config.GetCertificate).
func (c *CertReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.cert.Load(), nil
}

// Leaf is the certificate being served.
func (c *CertReloader) Leaf() *x509.Certificate { return c.cert.Load().Leaf }

// LoadCertificate reads a PEM certificate chain and its key and checks that
// the leaf is valid at now.
func LoadCertificate(certFile, keyFile string, now time.Time) (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("web: tls certificate %s with key %s: %w", certFile, keyFile, err)
	}
	leaf := cert.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("web: tls certificate %s: %w", certFile, err)
		}
		cert.Leaf = leaf
	}
	switch {
	case now.After(leaf.NotAfter):
		return nil, fmt.Errorf("web: tls certificate %s expired on %s", certFile, leaf.NotAfter.UTC().Format(time.DateOnly))
	case now.Before(leaf.NotBefore):
		return nil, fmt.Errorf("web: tls certificate %s is not valid before %s", certFile, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	return &cert, nil
}

// RedirectToHTTPS answers every plain-HTTP request with a permanent
// redirect to the same path and query under base (always base's host: a
// Host header cannot turn it into an open redirect). GET and HEAD get 301,
// other methods 308 so that they are repeated as they were.
func RedirectToHTTPS(base *url.URL) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := url.URL{Scheme: "https", Host: base.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
		code := http.StatusMovedPermanently
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			code = http.StatusPermanentRedirect
		}
		w.Header().Set("Cache-Control", "max-age=3600")
		http.Redirect(w, r, u.String(), code)
	})
}

// RedirectServer is the plain-HTTP server for --http-redirect-addr: it
// serves h (RedirectToHTTPS, wrapped by ACME's HTTP-01 challenge handler
// when certificates come from ACME) with tight timeouts.
func RedirectServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
