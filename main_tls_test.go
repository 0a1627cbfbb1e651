package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestTLSFlags(t *testing.T) {
	certDir := t.TempDir()
	cert, key, _ := writeTestCert(t, certDir, "localhost")
	bad := []struct {
		name string
		args []string
		want string
	}{
		{"cert without key", []string{"--tls-cert", cert}, "--tls-cert and --tls-key"},
		{"files and ACME", []string{"--tls-cert", cert, "--tls-key", key, "--acme-domain", "help.example.com"}, "exclude each other"},
		{"redirect without TLS", []string{"--http-redirect-addr", ":80"}, "--http-redirect-addr needs"},
		{"http base URL with TLS", []string{"--tls-cert", cert, "--tls-key", key, "--base-url", "http://localhost:8443"}, "must be https"},
		{"ACME directory alone", []string{"--acme-directory", "https://ca.example/dir"}, "need --acme-domain"},
		{"ACME for an address", []string{"--acme-domain", "192.0.2.1"}, "want a domain name"},
		{"base URL outside the ACME names", []string{"--acme-domain", "help.example.com", "--base-url", "https://other.example.com"}, "not among"},
		{"bad period", []string{"--retain-tickets", "soon"}, "retain-tickets"},
		{"too short a period", []string{"--retain-security-events", "2h"}, "at least a day"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaultConfig()
			err := parseFlags(flagSet(&cfg), append(tt.args, "--data", t.TempDir()), &bytes.Buffer{})
			if err == nil {
				err = cfg.Validate()
			}
			var u usageError
			if !errors.As(err, &u) || !strings.Contains(u.msg, tt.want) {
				t.Fatalf("got %v, want a usage error naming %q", err, tt.want)
			}
		})
	}
	t.Run("serving TLS makes the default base URL https", func(t *testing.T) {
		cfg := defaultConfig()
		if err := parseFlags(flagSet(&cfg), []string{"--addr", "127.0.0.1:8443", "--tls-cert", cert, "--tls-key", key}, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		if cfg.baseURL.String() != "https://localhost:8443" {
			t.Fatalf("base URL %s", cfg.baseURL)
		}
		cfg = defaultConfig()
		parseFlags(flagSet(&cfg), []string{"--addr", ":443", "--acme-domain", "help.example.com"}, &bytes.Buffer{})
		if err := cfg.Validate(); err != nil || cfg.baseURL.String() != "https://help.example.com" {
			t.Fatalf("ACME base URL %v %v", cfg.baseURL, err)
		}
	})
}

// freePort returns a loopback address that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// TestServeTLS runs the server as the command line does, with certificate
// files and the HTTP redirect: HTTPS with HTTP/2 and HSTS, plain HTTP
// redirected, and a renewed certificate taken on SIGHUP.
func TestServeTLS(t *testing.T) {
	certDir := t.TempDir()
	cert, key, first := writeTestCert(t, certDir, "localhost")
	addr, plain := freePort(t), freePort(t)
	_, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data", filepath.Join(t.TempDir(), "data"), "--addr", addr,
			"--tls-cert", cert, "--tls-key", key, "--http-redirect-addr", plain}, &bytes.Buffer{}, logs)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()

	roots := x509.NewCertPool()
	pemBytes, _ := os.ReadFile(cert)
	roots.AppendCertsFromPEM(pemBytes)
	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "localhost"}, ForceAttemptHTTP2: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       5 * time.Second,
	}
	var resp *http.Response
	for deadline := time.Now().Add(20 * time.Second); ; {
		var err error
		if resp, err = client.Get("https://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server never answered: %v\n%s", err, logs.b.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if resp.Proto != "HTTP/2.0" || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("%s, HSTS %q", resp.Proto, resp.Header.Get("Strict-Transport-Security"))
	}

	t.Run("plain HTTP is redirected to the base URL", func(t *testing.T) {
		resp, err := client.Get("http://" + plain + "/kb?q=x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := "https://localhost:" + port + "/kb?q=x"; resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
			t.Fatalf("%d %q, want 301 %q", resp.StatusCode, resp.Header.Get("Location"), want)
		}
	})
	t.Run("SIGHUP loads a renewed certificate", func(t *testing.T) {
		_, _, renewed := writeTestCert(t, certDir, "localhost")
		served := func() *big.Int {
			conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: nil, InsecureSkipVerify: true})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			return conn.ConnectionState().PeerCertificates[0].SerialNumber
		}
		if served().Cmp(first) != 0 {
			t.Fatal("not serving the first certificate before the signal")
		}
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); served().Cmp(renewed) != 0; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("still the old certificate after SIGHUP\n%s", logs.b.String())
			}
		}
	})
}

// TestACMEWiring checks the ACME set-up without a CA: the TLS listener
// offers the TLS-ALPN-01 protocol, and the plain-HTTP server answers the
// HTTP-01 challenge path itself while redirecting everything else.
func TestACMEWiring(t *testing.T) {
	cfg := defaultConfig()
	cfg.Data = t.TempDir()
	if err := parseFlags(flagSet(&cfg), []string{"--addr", ":443", "--acme-domain", "help.example.com",
		"--acme-directory", "https://ca.test/dir", "--http-redirect-addr", freePort(t)}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	https, err := newTLS(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	c := https.tlsConfig()
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
	stop, err := https.start(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); stop() }()
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) *http.Response {
		t.Helper()
		resp, err := plain.Get("http://" + cfg.TLS.RedirectAddr + path)
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
}
