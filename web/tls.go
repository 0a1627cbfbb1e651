package web

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// TLSOptions is how the server serves HTTPS itself: certificate files, or
// certificates from an ACME CA (Let's Encrypt by default). The zero value
// serves plain HTTP (behind a proxy that ends TLS, or for development).
type TLSOptions struct {
	Cert          string
	Key           string
	ACMEDomain    string // comma-separated names
	ACMEDirectory string
	ACMEEmail     string
	RedirectAddr  string

	domains []string // ACMEDomain parsed by Validate
}

// Flags adds the TLS flags of the server.
func (o *TLSOptions) Flags(fs *flag.FlagSet) {
	fs.StringVar(&o.Cert, "tls-cert", o.Cert, "serve HTTPS with this PEM certificate chain (with --tls-key); read again on SIGHUP")
	fs.StringVar(&o.Key, "tls-key", o.Key, "the PEM private key of --tls-cert")
	fs.StringVar(&o.ACMEDomain, "acme-domain", o.ACMEDomain, "serve HTTPS with certificates from an ACME CA for these comma-separated names (cached in DATA/acme); needs port 443, or --http-redirect-addr on port 80")
	fs.StringVar(&o.ACMEDirectory, "acme-directory", o.ACMEDirectory, "ACME directory URL (default Let's Encrypt); for another CA, such as a local test CA")
	fs.StringVar(&o.ACMEEmail, "acme-email", o.ACMEEmail, "contact address given to the ACME CA for expiry notices (optional)")
	fs.StringVar(&o.RedirectAddr, "http-redirect-addr", o.RedirectAddr, "also listen for plain HTTP here (e.g. :80) and redirect it to HTTPS; with ACME it answers HTTP-01 challenges too")
}

// On reports whether the server serves TLS itself.
func (o *TLSOptions) On() bool { return o.Cert != "" || o.ACMEDomain != "" }

// Validate checks the flags and parses the ACME names; its errors name
// the flags, on one line.
func (o *TLSOptions) Validate() error {
	o.domains = nil
	for d := range strings.SplitSeq(o.ACMEDomain, ",") {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			if net.ParseIP(d) != nil || !strings.Contains(d, ".") && d != "localhost" {
				return fmt.Errorf("--acme-domain %q: want a domain name like help.example.com", d)
			}
			o.domains = append(o.domains, d)
		}
	}
	switch {
	case (o.Cert == "") != (o.Key == ""):
		return errors.New("--tls-cert and --tls-key go together")
	case o.Cert != "" && len(o.domains) > 0:
		return errors.New("--tls-cert and --acme-domain exclude each other: use certificate files or ACME")
	case (o.ACMEDirectory != "" || o.ACMEEmail != "") && len(o.domains) == 0:
		return errors.New("--acme-directory and --acme-email need --acme-domain")
	case o.RedirectAddr != "" && !o.On():
		return errors.New("--http-redirect-addr needs --tls-cert/--tls-key or --acme-domain (behind a proxy, let the proxy redirect)")
	}
	if o.ACMEDirectory != "" {
		if u, err := url.Parse(o.ACMEDirectory); err != nil || u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("--acme-directory %q: want an https URL", o.ACMEDirectory)
		}
	}
	if o.RedirectAddr != "" {
		if _, _, err := net.SplitHostPort(o.RedirectAddr); err != nil {
			return fmt.Errorf("--http-redirect-addr %q: want host:port, like :80", o.RedirectAddr)
		}
	}
	return nil
}

// DefaultBaseURL is the public URL of a server listening on addr (a valid
// host:port) when --base-url is not given. Loopback and wildcard addresses
// become localhost, since passkeys need a name; a server that serves TLS
// itself is https, named after its first ACME name, without :443.
func (o *TLSOptions) DefaultBaseURL(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host == "" || (ip != nil && (ip.IsLoopback() || ip.IsUnspecified())) {
		host = "localhost"
	}
	if !o.On() {
		return "http://" + net.JoinHostPort(host, port)
	}
	if len(o.domains) > 0 {
		host = o.domains[0]
	}
	if port == "443" {
		return "https://" + host
	}
	return "https://" + net.JoinHostPort(host, port)
}

// CheckBaseURL refuses a base URL that does not fit a server serving TLS
// itself: cookies, HSTS and passkeys follow the base URL, so it must be
// https, and with ACME its host must be one of the names.
func (o *TLSOptions) CheckBaseURL(base string) error {
	u, err := url.Parse(base)
	if err != nil || !o.On() {
		return nil // not ours to judge
	}
	if u.Scheme != "https" {
		return fmt.Errorf("--base-url %q: this server serves HTTPS itself, so the base URL must be https", base)
	}
	if len(o.domains) > 0 && !slices.Contains(o.domains, strings.ToLower(u.Hostname())) {
		return fmt.Errorf("--base-url %q: its host is not among --acme-domain %s", base, o.ACMEDomain)
	}
	return nil
}

// HTTPS is the HTTPS side of a running server: its TLS settings, with the
// certificate files (reloaded on SIGHUP) or the ACME manager, and the
// plain-HTTP redirect server.
type HTTPS struct {
	opts   TLSOptions
	base   *url.URL
	log    *slog.Logger
	config *tls.Config
	certs  *CertReloader     // certificate files; nil with ACME
	acme   *autocert.Manager // nil with certificate files
}

// NewHTTPS loads the certificate files or sets up ACME, whose account and
// certificates are cached in dataDir/acme; nil when o serves no TLS. o
// must have passed Validate.
func NewHTTPS(o TLSOptions, dataDir string, base *url.URL, log *slog.Logger) (*HTTPS, error) {
	h := &HTTPS{opts: o, base: base, log: log}
	switch {
	case o.Cert != "":
		certs, err := NewCertReloader(o.Cert, o.Key)
		if err != nil {
			return nil, err
		}
		leaf := certs.Leaf()
		if err := leaf.VerifyHostname(base.Hostname()); err != nil {
			log.Warn("the TLS certificate does not name the base URL's host: browsers will refuse it", "host", base.Hostname(), "err", err)
		}
		log.Info("TLS certificate loaded", "file", o.Cert, "subject", leaf.Subject.String(), "expires", leaf.NotAfter.UTC().Format(time.DateOnly))
		h.config, h.certs = TLSConfig(certs.GetCertificate), certs
	case len(o.domains) > 0:
		h.acme = &autocert.Manager{
			Prompt:     autocert.AcceptTOS,
			Cache:      autocert.DirCache(filepath.Join(dataDir, "acme")),
			HostPolicy: autocert.HostWhitelist(o.domains...),
			Email:      o.ACMEEmail,
		}
		if o.ACMEDirectory != "" {
			h.acme.Client = &acme.Client{DirectoryURL: o.ACMEDirectory}
		}
		log.Info("TLS certificates from ACME", "domains", strings.Join(o.domains, ","), "directory", cmp.Or(o.ACMEDirectory, autocert.DefaultACMEDirectory))
		h.config = TLSConfig(h.acme.GetCertificate, acme.ALPNProto)
	default:
		return nil, nil
	}
	return h, nil
}

// Config is the server's TLS settings (Config.TLS); nil without TLS.
func (h *HTTPS) Config() *tls.Config {
	if h == nil {
		return nil
	}
	return h.config
}

// Start runs what serving TLS needs beside the main listener until ctx
// ends: the certificate reload on SIGHUP and the plain-HTTP redirect
// server. It returns once the redirect listener is open; stop waits for
// both to end. SIGHUP (`systemctl reload`) is caught even with nothing to
// read again (no TLS here, or ACME, which renews by itself), so that it
// never ends the server: log then says so.
func (h *HTTPS) Start(ctx context.Context, log *slog.Logger) (stop func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	n := 1
	// Registered before Start returns: a SIGHUP from then on reloads
	// rather than ends the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer func() { done <- struct{}{} }()
		defer signal.Stop(hup)
		if h == nil || h.certs == nil {
			nothingToReload(ctx, hup, log)
			return
		}
		h.reloadOnSignal(ctx, hup)
	}()
	if h == nil {
		return func() { cancel(); <-done }, nil
	}
	wait := func() {
		cancel()
		for range n {
			<-done
		}
	}
	if h.opts.RedirectAddr != "" {
		if err := h.startRedirect(ctx, done); err != nil {
			wait()
			return nil, err
		}
		n++
	}
	return wait, nil
}

// startRedirect listens on the redirect address and serves the redirect
// (and ACME's HTTP-01 challenges) until ctx ends; the serving goroutine
// reports on done when it has stopped.
func (h *HTTPS) startRedirect(ctx context.Context, done chan<- struct{}) error {
	ln, err := net.Listen("tcp", h.opts.RedirectAddr)
	if err != nil {
		return fmt.Errorf("--http-redirect-addr: %w", err)
	}
	var handler http.Handler = RedirectToHTTPS(h.base)
	if h.acme != nil {
		handler = h.acme.HTTPHandler(handler) // HTTP-01 challenges, everything else redirected
	}
	srv := RedirectServer(ln.Addr().String(), handler, h.log)
	h.log.Info("redirecting plain HTTP to HTTPS", "addr", ln.Addr().String())
	go func() {
		defer func() { done <- struct{}{} }()
		go func() {
			<-ctx.Done()
			shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(shut); err != nil {
				h.log.Error("HTTP redirect server shutdown", "err", err)
			}
		}()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			h.log.Error("HTTP redirect server stopped", "err", err)
		}
	}()
	return nil
}

// nothingToReload answers each signal on hup until ctx ends with a log
// line: no setting of this server is read again.
func nothingToReload(ctx context.Context, hup <-chan os.Signal, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			log.Info("reload asked (SIGHUP): nothing to read again; only certificate files (--tls-cert, --tls-key) are reloaded, other settings need a restart")
		}
	}
}

// reloadOnSignal reads the certificate files again at every signal on
// hup until ctx ends. A failed reload keeps the certificate in use and
// says why.
func (h *HTTPS) reloadOnSignal(ctx context.Context, hup <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if err := h.certs.Reload(); err != nil {
				h.log.Error("TLS certificate not reloaded; the previous one stays in use", "err", err)
				continue
			}
			leaf := h.certs.Leaf()
			h.log.Info("TLS certificate reloaded", "subject", leaf.Subject.String(), "expires", leaf.NotAfter.UTC().Format(time.DateOnly))
		}
	}
}

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
