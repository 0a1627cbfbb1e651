package main

import (
	"cmp"
	"context"
	"crypto/tls"
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
	"syscall"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"safedesk/web"
)

// tlsConfig is how the server serves HTTPS itself: certificate files, or
// certificates from an ACME CA (Let's Encrypt by default).
type tlsConfig struct {
	Cert          string
	Key           string
	ACMEDomain    string // comma-separated names
	ACMEDirectory string
	ACMEEmail     string
	RedirectAddr  string

	domains []string
}

func (c *tlsConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Cert, "tls-cert", c.Cert, "serve HTTPS with this PEM certificate chain (with --tls-key); read again on SIGHUP")
	fs.StringVar(&c.Key, "tls-key", c.Key, "the PEM private key of --tls-cert")
	fs.StringVar(&c.ACMEDomain, "acme-domain", c.ACMEDomain, "serve HTTPS with certificates from an ACME CA for these comma-separated names (cached in DATA/acme); needs port 443, or --http-redirect-addr on port 80")
	fs.StringVar(&c.ACMEDirectory, "acme-directory", c.ACMEDirectory, "ACME directory URL (default Let's Encrypt); for another CA, such as a local test CA")
	fs.StringVar(&c.ACMEEmail, "acme-email", c.ACMEEmail, "contact address given to the ACME CA for expiry notices (optional)")
	fs.StringVar(&c.RedirectAddr, "http-redirect-addr", c.RedirectAddr, "also listen for plain HTTP here (e.g. :80) and redirect it to HTTPS; with ACME it answers HTTP-01 challenges too")
}

// on reports whether the server serves TLS itself.
func (c *tlsConfig) on() bool { return c.Cert != "" || c.ACMEDomain != "" }

// validateTLS checks the TLS flags and, when the server serves TLS itself,
// makes the default base URL https and refuses an http one: cookies,
// HSTS and passkeys follow the base URL.
func (c *Config) validateTLS() error {
	t := &c.TLS
	t.domains = nil
	for d := range strings.SplitSeq(t.ACMEDomain, ",") {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			if net.ParseIP(d) != nil || !strings.Contains(d, ".") && d != "localhost" {
				return usageError{fmt.Sprintf("--acme-domain %q: want a domain name like help.example.com", d)}
			}
			t.domains = append(t.domains, d)
		}
	}
	switch {
	case (t.Cert == "") != (t.Key == ""):
		return usageError{"--tls-cert and --tls-key go together"}
	case t.Cert != "" && len(t.domains) > 0:
		return usageError{"--tls-cert and --acme-domain exclude each other: use certificate files or ACME"}
	case (t.ACMEDirectory != "" || t.ACMEEmail != "") && len(t.domains) == 0:
		return usageError{"--acme-directory and --acme-email need --acme-domain"}
	case t.RedirectAddr != "" && !t.on():
		return usageError{"--http-redirect-addr needs --tls-cert/--tls-key or --acme-domain (behind a proxy, let the proxy redirect)"}
	}
	if t.ACMEDirectory != "" {
		if u, err := url.Parse(t.ACMEDirectory); err != nil || u.Scheme != "https" || u.Host == "" {
			return usageError{fmt.Sprintf("--acme-directory %q: want an https URL", t.ACMEDirectory)}
		}
	}
	if t.RedirectAddr != "" {
		if _, _, err := net.SplitHostPort(t.RedirectAddr); err != nil {
			return usageError{fmt.Sprintf("--http-redirect-addr %q: want host:port, like :80", t.RedirectAddr)}
		}
	}
	if !t.on() {
		return nil
	}
	if c.BaseURL == "" {
		c.BaseURL = defaultHTTPSBaseURL(c.Addr, t.domains)
	}
	u, err := url.Parse(c.BaseURL)
	if err == nil && u.Scheme != "https" {
		return usageError{fmt.Sprintf("--base-url %q: this server serves HTTPS itself, so the base URL must be https", c.BaseURL)}
	}
	if err == nil && len(t.domains) > 0 && !slices.Contains(t.domains, strings.ToLower(u.Hostname())) {
		return usageError{fmt.Sprintf("--base-url %q: its host is not among --acme-domain %s", c.BaseURL, t.ACMEDomain)}
	}
	return nil
}

// defaultHTTPSBaseURL is the base URL of a server that serves TLS itself:
// the first ACME name, or the listen address as defaultBaseURL names it.
func defaultHTTPSBaseURL(addr string, domains []string) string {
	u, _ := url.Parse(defaultBaseURL(addr))
	host, port := u.Hostname(), u.Port()
	if len(domains) > 0 {
		host = domains[0]
	}
	if port == "443" {
		return "https://" + host
	}
	return "https://" + net.JoinHostPort(host, port)
}

// tlsServing is the HTTPS side of a running server.
type tlsServing struct {
	config *tls.Config
	certs  *web.CertReloader // certificate files; nil with ACME
	acme   *autocert.Manager // nil with certificate files
}

// newTLS loads the certificate files or sets up ACME; nil without TLS.
func newTLS(cfg Config, log *slog.Logger) (*tlsServing, error) {
	t := cfg.TLS
	switch {
	case t.Cert != "":
		certs, err := web.NewCertReloader(t.Cert, t.Key)
		if err != nil {
			return nil, err
		}
		leaf := certs.Leaf()
		if err := leaf.VerifyHostname(cfg.baseURL.Hostname()); err != nil {
			log.Warn("the TLS certificate does not name the base URL's host: browsers will refuse it", "host", cfg.baseURL.Hostname(), "err", err)
		}
		log.Info("TLS certificate loaded", "file", t.Cert, "subject", leaf.Subject.String(), "expires", leaf.NotAfter.UTC().Format(time.DateOnly))
		return &tlsServing{config: web.TLSConfig(certs.GetCertificate), certs: certs}, nil
	case len(t.domains) > 0:
		m := &autocert.Manager{
			Prompt:     autocert.AcceptTOS,
			Cache:      autocert.DirCache(filepath.Join(cfg.Data, "acme")),
			HostPolicy: autocert.HostWhitelist(t.domains...),
			Email:      t.ACMEEmail,
		}
		if t.ACMEDirectory != "" {
			m.Client = &acme.Client{DirectoryURL: t.ACMEDirectory}
		}
		log.Info("TLS certificates from ACME", "domains", strings.Join(t.domains, ","), "directory", cmp.Or(t.ACMEDirectory, autocert.DefaultACMEDirectory))
		return &tlsServing{config: web.TLSConfig(m.GetCertificate, acme.ALPNProto), acme: m}, nil
	}
	return nil, nil
}

// start runs what serving TLS needs beside the main listener until ctx
// ends: the certificate reload on SIGHUP and the plain-HTTP redirect
// server. It returns once the redirect listener is open; stop waits for
// both to end.
func (t *tlsServing) start(ctx context.Context, cfg Config, log *slog.Logger) (stop func(), err error) {
	if t == nil {
		return func() {}, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	n := 0
	if t.certs != nil {
		// Registered before start returns: a SIGHUP from then on reloads
		// rather than ends the process.
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		n++
		go func() {
			defer func() { done <- struct{}{} }()
			defer signal.Stop(hup)
			reloadOnSignal(ctx, hup, t.certs, log)
		}()
	}
	if cfg.TLS.RedirectAddr != "" {
		ln, err := net.Listen("tcp", cfg.TLS.RedirectAddr)
		if err != nil {
			cancel()
			for range n {
				<-done
			}
			return nil, fmt.Errorf("--http-redirect-addr: %w", err)
		}
		var h http.Handler = web.RedirectToHTTPS(cfg.baseURL)
		if t.acme != nil {
			h = t.acme.HTTPHandler(h) // HTTP-01 challenges, everything else redirected
		}
		srv := web.RedirectServer(ln.Addr().String(), h, log)
		log.Info("redirecting plain HTTP to HTTPS", "addr", ln.Addr().String())
		n++
		go func() {
			defer func() { done <- struct{}{} }()
			go func() {
				<-ctx.Done()
				shut, c := context.WithTimeout(context.Background(), 5*time.Second)
				defer c()
				srv.Shutdown(shut)
			}()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("HTTP redirect server stopped", "err", err)
			}
		}()
	}
	return func() {
		cancel()
		for range n {
			<-done
		}
	}, nil
}

// reloadOnSignal reads the certificate files again at every signal on
// hup until ctx ends. A failed reload keeps the certificate in use and
// says why.
func reloadOnSignal(ctx context.Context, hup <-chan os.Signal, certs *web.CertReloader, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if err := certs.Reload(); err != nil {
				log.Error("TLS certificate not reloaded; the previous one stays in use", "err", err)
				continue
			}
			leaf := certs.Leaf()
			log.Info("TLS certificate reloaded", "subject", leaf.Subject.String(), "expires", leaf.NotAfter.UTC().Format(time.DateOnly))
		}
	}
}

// tlsConfig is the server's TLS settings; nil without TLS.
func (t *tlsServing) tlsConfig() *tls.Config {
	if t == nil {
		return nil
	}
	return t.config
}
