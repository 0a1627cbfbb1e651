package web

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// writeCert makes a self-signed certificate for names, valid from
// notBefore to notAfter, and writes it and its key as PEM files in dir.
func writeCert(t *testing.T, dir string, notBefore, notAfter time.Time, names ...string) (certFile, keyFile string, serial *big.Int) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ = rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	// Written beside and renamed, as a certificate tool does.
	for file, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(file+".new", pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(file+".new", file); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile, serial
}

// tlsEnv is a real server serving HTTPS on loopback with a certificate
// from certFile.
type tlsEnv struct {
	base   *url.URL
	addr   string
	certs  *CertReloader
	roots  *x509.CertPool
	cancel context.CancelFunc
	done   chan error
}

func newTLSEnv(t *testing.T) (*tlsEnv, string) {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	certFile, keyFile, _ := writeCert(t, dir, now.Add(-time.Hour), now.Add(90*24*time.Hour), "localhost")
	certs, err := NewCertReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ring, _, err := security.LoadMasterKey(filepath.Join(dir, "master.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "safedesk.db"), ring, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	// An http base URL: serving TLS directly makes the server secure anyway.
	base, _ := url.Parse("http://localhost:" + port)
	srv := quietServer(t, Config{BaseURL: base, Product: "Northwind", TLS: TLSConfig(certs.GetCertificate)}, db)
	ctx, cancel := context.WithCancel(context.Background())
	e := &tlsEnv{base: base, addr: ln.Addr().String(), certs: certs, roots: x509.NewCertPool(), cancel: cancel, done: make(chan error, 1)}
	e.roots.AddCert(certs.Leaf())
	go func() { e.done <- srv.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-e.done
		db.Close()
	})
	return e, dir
}

// client is an HTTPS client that trusts the test certificate and speaks
// HTTP/2 when offered.
func (e *tlsEnv) client() *http.Client {
	return &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.roots, ServerName: "localhost"}, ForceAttemptHTTP2: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (e *tlsEnv) url(path string) string { return "https://" + e.addr + path }

func TestTLSServing(t *testing.T) {
	e, dir := newTLSEnv(t)
	c := e.client()

	t.Run("HTTP/2 with HSTS", func(t *testing.T) {
		resp, err := c.Get(e.url("/verify"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Proto != "HTTP/2.0" {
			t.Fatalf("%d %s", resp.StatusCode, resp.Proto)
		}
		if hsts := resp.Header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=63072000") {
			t.Errorf("HSTS %q", hsts)
		}
	})
	t.Run("session cookies are Secure with the __Host- prefix", func(t *testing.T) {
		form := url.Values{"email": {"tls.person@example.org"}}
		resp, err := c.PostForm(e.url("/verify"), form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var found bool
		for _, ck := range resp.Cookies() {
			if strings.Contains(ck.Name, "safedesk_customer") {
				found = true
				if ck.Name != "__Host-safedesk_customer" || !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" {
					t.Errorf("cookie %+v", ck)
				}
			}
		}
		if !found {
			t.Fatalf("no session cookie set (%d): %v", resp.StatusCode, resp.Header["Set-Cookie"])
		}
	})
	t.Run("TLS 1.1 and older are refused", func(t *testing.T) {
		// Control: this client does speak TLS 1.1 to a server that allows it,
		// so a refusal below is the server's.
		willing, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{MinVersion: tls.VersionTLS10, GetCertificate: e.certs.GetCertificate})
		if err != nil {
			t.Fatal(err)
		}
		defer willing.Close()
		go func() {
			for {
				conn, err := willing.Accept()
				if err != nil {
					return
				}
				go func() { conn.(*tls.Conn).Handshake(); conn.Close() }()
			}
		}()
		old := func(v uint16) *tls.Config {
			return &tls.Config{RootCAs: e.roots, ServerName: "localhost", MinVersion: v, MaxVersion: v}
		}
		conn, err := tls.Dial("tcp", willing.Addr().String(), old(tls.VersionTLS11))
		if err != nil {
			t.Fatalf("control: this client cannot speak TLS 1.1 at all: %v", err)
		}
		conn.Close()
		for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
			if conn, err := tls.Dial("tcp", e.addr, old(v)); err == nil {
				conn.Close()
				t.Errorf("%s accepted", tls.VersionName(v))
			}
		}
	})
	t.Run("TLS 1.2 only with forward-secret AEAD suites", func(t *testing.T) {
		cbc := &tls.Config{RootCAs: e.roots, ServerName: "localhost", MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA}}
		if conn, err := tls.Dial("tcp", e.addr, cbc); err == nil {
			conn.Close()
			t.Error("a CBC suite was accepted")
		}
		conn, err := tls.Dial("tcp", e.addr, &tls.Config{RootCAs: e.roots, ServerName: "localhost", MaxVersion: tls.VersionTLS12})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if st := conn.ConnectionState(); st.Version != tls.VersionTLS12 || !strings.Contains(tls.CipherSuiteName(st.CipherSuite), "GCM") && !strings.Contains(tls.CipherSuiteName(st.CipherSuite), "CHACHA20") {
			t.Errorf("TLS 1.2 with %s", tls.CipherSuiteName(st.CipherSuite))
		}
	})
	t.Run("a reload serves the new certificate; a bad one keeps the old", func(t *testing.T) {
		now := time.Now()
		_, _, serial := writeCert(t, dir, now.Add(-time.Hour), now.Add(60*24*time.Hour), "localhost")
		if err := e.certs.Reload(); err != nil {
			t.Fatal(err)
		}
		served := func() *big.Int {
			conn, err := tls.Dial("tcp", e.addr, &tls.Config{InsecureSkipVerify: true})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			return conn.ConnectionState().PeerCertificates[0].SerialNumber
		}
		if got := served(); got.Cmp(serial) != 0 {
			t.Fatalf("serial %s after reload, want %s", got, serial)
		}
		os.WriteFile(filepath.Join(dir, "cert.pem"), []byte("not a certificate"), 0o600)
		if err := e.certs.Reload(); err == nil {
			t.Fatal("a broken file reloaded")
		}
		if got := served(); got.Cmp(serial) != 0 {
			t.Fatal("a failed reload dropped the certificate in use")
		}
	})
}

func TestLoadCertificateRefusesExpired(t *testing.T) {
	now := time.Now()
	cert, key, _ := writeCert(t, t.TempDir(), now.Add(-48*time.Hour), now.Add(-time.Hour), "localhost")
	if _, err := NewCertReloader(cert, key); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("got %v, want an expiry error", err)
	}
}

func TestRedirectToHTTPS(t *testing.T) {
	base, _ := url.Parse("https://help.example.com")
	srv := httptest.NewServer(RedirectToHTTPS(base))
	defer srv.Close()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct {
		method, path, host string
		status             int
		want               string
	}{
		{"GET", "/tickets?page=2", "", http.StatusMovedPermanently, "https://help.example.com/tickets?page=2"},
		{"GET", "/kb/a%2Fb", "evil.example", http.StatusMovedPermanently, "https://help.example.com/kb/a%2Fb"},
		{"POST", "/verify", "", http.StatusPermanentRedirect, "https://help.example.com/verify"},
	} {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		if tt.host != "" {
			req.Host = tt.host
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("Location") != tt.want {
			t.Errorf("%s %s: %d %s, want %d %s", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Location"), tt.status, tt.want)
		}
	}
}

func TestTLSOptions(t *testing.T) {
	certDir := t.TempDir()
	now := time.Now()
	cert, key, _ := writeCert(t, certDir, now.Add(-time.Hour), now.Add(90*24*time.Hour), "localhost")
	bad := []struct {
		name string
		opts TLSOptions
		base string
		want string
	}{
		{"cert without key", TLSOptions{Cert: cert}, "", "--tls-cert and --tls-key"},
		{"files and ACME", TLSOptions{Cert: cert, Key: key, ACMEDomain: "help.example.com"}, "", "exclude each other"},
		{"redirect without TLS", TLSOptions{RedirectAddr: ":80"}, "", "--http-redirect-addr needs"},
		{"a bad redirect address", TLSOptions{Cert: cert, Key: key, RedirectAddr: "eighty"}, "", "want host:port"},
		{"http base URL with TLS", TLSOptions{Cert: cert, Key: key}, "http://localhost:8443", "must be https"},
		{"ACME directory alone", TLSOptions{ACMEDirectory: "https://ca.example/dir"}, "", "need --acme-domain"},
		{"an http ACME directory", TLSOptions{ACMEDomain: "help.example.com", ACMEDirectory: "http://ca.example/dir"}, "", "want an https URL"},
		{"ACME for an address", TLSOptions{ACMEDomain: "192.0.2.1"}, "", "want a domain name"},
		{"base URL outside the ACME names", TLSOptions{ACMEDomain: "help.example.com"}, "https://other.example.com", "not among"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if err == nil && tt.base != "" {
				err = tt.opts.CheckBaseURL(tt.base)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want one line naming %q", err, tt.want)
			}
		})
	}
	t.Run("the default base URL follows TLS", func(t *testing.T) {
		for _, tt := range []struct {
			opts TLSOptions
			addr string
			want string
		}{
			{TLSOptions{}, "127.0.0.1:8080", "http://localhost:8080"},
			{TLSOptions{}, ":8080", "http://localhost:8080"},
			{TLSOptions{}, "help.example.com:8080", "http://help.example.com:8080"},
			{TLSOptions{Cert: cert, Key: key}, "127.0.0.1:8443", "https://localhost:8443"},
			{TLSOptions{ACMEDomain: "help.example.com,www.example.com"}, ":443", "https://help.example.com"},
		} {
			if err := tt.opts.Validate(); err != nil {
				t.Fatal(err)
			}
			got := tt.opts.DefaultBaseURL(tt.addr)
			if got != tt.want {
				t.Errorf("%+v on %s: %s, want %s", tt.opts, tt.addr, got, tt.want)
			}
			if err := tt.opts.CheckBaseURL(got); err != nil {
				t.Errorf("the default %s is refused: %v", got, err)
			}
		}
	})
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestACMEWiring checks the ACME set-up without a CA: the TLS listener
// offers the TLS-ALPN-01 protocol, and the plain-HTTP server answers the
// HTTP-01 challenge path itself while redirecting everything else.
func TestACMEWiring(t *testing.T) {
	o := TLSOptions{ACMEDomain: "help.example.com", ACMEDirectory: "https://ca.test/dir", RedirectAddr: freeAddr(t)}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(o.DefaultBaseURL(":443"))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	https, err := NewHTTPS(o, t.TempDir(), base, log)
	if err != nil {
		t.Fatal(err)
	}
	c := https.Config()
	if c.MinVersion != tls.VersionTLS12 || !slices.Contains(c.NextProtos, "acme-tls/1") || !slices.Contains(c.NextProtos, "h2") {
		t.Errorf("TLS config: min %x, ALPN %v", c.MinVersion, c.NextProtos)
	}
	if https.acme.Client.DirectoryURL != "https://ca.test/dir" {
		t.Errorf("directory %q", https.acme.Client.DirectoryURL)
	}
	if _, err := c.GetCertificate(&tls.ClientHelloInfo{ServerName: "other.example.com"}); err == nil {
		t.Error("a certificate would be requested for a name not in --acme-domain")
	}
	ctx, cancel := context.WithCancel(context.Background())
	stop, err := https.Start(ctx, log)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); stop() }()
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) *http.Response {
		t.Helper()
		resp, err := plain.Get("http://" + o.RedirectAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get("/.well-known/acme-challenge/unknown-token"); resp.StatusCode == http.StatusMovedPermanently {
		t.Error("the HTTP-01 challenge path is redirected instead of answered")
	}
	if resp := get("/tickets"); resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "https://help.example.com/tickets" {
		t.Errorf("redirect: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if none, err := NewHTTPS(TLSOptions{}, t.TempDir(), base, log); none != nil || err != nil || none.Config() != nil {
		t.Errorf("without TLS: %v, %v; want nothing to serve", none, err)
	}
}

// TestHTTPSReloadsOnSignal: a signal reads the certificate files again; a
// broken file keeps the certificate in use.
func TestHTTPSReloadsOnSignal(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	cert, key, first := writeCert(t, dir, now.Add(-time.Hour), now.Add(90*24*time.Hour), "localhost")
	base, _ := url.Parse("https://localhost:8443")
	var logs strings.Builder // read once the reloading goroutine has ended
	h, err := NewHTTPS(TLSOptions{Cert: cert, Key: key}, dir, base, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	serial := func() *big.Int { return h.certs.Leaf().SerialNumber }
	hup := make(chan os.Signal)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.reloadOnSignal(ctx, hup); close(done) }()
	stop := func() { cancel(); <-done }
	defer stop()

	_, _, renewed := writeCert(t, dir, now.Add(-time.Hour), now.Add(60*24*time.Hour), "localhost")
	if serial().Cmp(first) != 0 {
		t.Fatal("the new files were read before any signal")
	}
	hup <- syscall.SIGHUP
	hup <- syscall.SIGHUP // taken only once the first is handled
	if serial().Cmp(renewed) != 0 {
		t.Fatalf("serial %s after SIGHUP, want %s", serial(), renewed)
	}
	if err := os.WriteFile(cert, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	hup <- syscall.SIGHUP
	hup <- syscall.SIGHUP
	if serial().Cmp(renewed) != 0 {
		t.Error("a failed reload dropped the certificate in use")
	}
	stop()
	if !strings.Contains(logs.String(), "TLS certificate not reloaded") {
		t.Errorf("the failed reload is not logged:\n%s", logs.String())
	}
}
