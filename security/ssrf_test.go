package security

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// ssrfRefusedURLs holds one or more URLs for each forbidden address class,
// with the class the error must name. All hosts are IP literals or numeric
// forms, so no test touches DNS.
var ssrfRefusedURLs = []struct {
	url       string
	wantClass string
}{
	{"http://127.0.0.1/", "is loopback"},
	{"http://127.8.9.10:8080/hook", "is loopback"},
	{"http://[::1]/", "is loopback"},
	{"http://10.1.2.3/", "is private"},
	{"http://172.16.0.1/", "is private"},
	{"http://172.31.255.255/", "is private"},
	{"http://192.168.1.1/", "is private"},
	{"http://[fc00::1]/", "is private"},
	{"http://[fd12:3456::1]/", "is private"},
	{"http://[fd00:ec2::254]/", "is private (cloud metadata)"},
	{"http://169.254.169.254/latest/meta-data/", "is link-local (cloud metadata)"},
	{"http://169.254.1.1/", "is link-local"},
	{"http://168.63.129.16/", "is cloud metadata"},
	{"http://[fe80::1]/", "is link-local"},
	{"http://[fe80::1%25eth0]/", "is link-local"},
	{"http://224.0.0.1/", "is multicast"},
	{"http://239.255.255.250/", "is multicast"},
	{"http://[ff02::1]/", "is multicast"},
	{"http://0.0.0.0/", "is unspecified"},
	{"http://[::]/", "is unspecified"},
	{"http://0.1.2.3/", "is in 0.0.0.0/8"},
	{"http://100.64.0.1/", "is shared address space (CGNAT)"},
	{"http://100.127.255.255/", "is shared address space (CGNAT)"},
	{"http://255.255.255.255/", "is broadcast"},
	{"http://240.0.0.1/", "is reserved"},
	{"http://198.18.0.1/", "is benchmarking"},
	{"http://198.19.255.255/", "is benchmarking"},
	{"http://[2001:2::1]/", "is benchmarking"},
	{"http://192.0.2.1/", "is documentation"},
	{"http://198.51.100.7/", "is documentation"},
	{"http://203.0.113.9/", "is documentation"},
	{"http://[2001:db8::1]/", "is documentation"},
	{"http://[::ffff:127.0.0.1]/", "is loopback (IPv4-mapped)"},
	{"http://[::ffff:a9fe:a9fe]/", "is link-local (cloud metadata) (IPv4-mapped)"},
	{"http://[::ffff:10.0.0.1]/", "is private (IPv4-mapped)"},
	{"http://[64:ff9b::10.0.0.1]/", "is private (NAT64)"},
	{"http://[64:ff9b::7f00:1]/", "is loopback (NAT64)"},
	{"http://[2002:c0a8:101::1]/", "is private (6to4)"},
	{"http://[2002:a9fe:a9fe::]/", "is link-local (cloud metadata) (6to4)"},
	{"http://[2001::1]/", "is reserved (Teredo)"},
	{"http://[::127.0.0.1]/", "is reserved"},
	{"http://[fec0::1]/", "is site-local"},
	{"http://2130706433/", "not a valid host name"},
	{"http://0x7f.1/", "not a valid host name"},
	{"http://127.1/", "not a valid host name"},
	{"http://0177.0.0.1/", "not a valid host name"},
}

func TestCheckURLRefusesAddressClasses(t *testing.T) {
	for _, tt := range ssrfRefusedURLs {
		t.Run(tt.url, func(t *testing.T) {
			err := CheckURL(context.Background(), tt.url, nil, ssrfNoDNS(t))
			if !errors.Is(err, ErrWebhookRefused) {
				t.Fatalf("CheckURL = %v, want ErrWebhookRefused", err)
			}
			if !strings.Contains(err.Error(), tt.wantClass) || !strings.HasPrefix(err.Error(), "security: ") {
				t.Errorf("CheckURL = %q, want a security: error containing %q", err, tt.wantClass)
			}
		})
	}
}

func TestSafeClientRefusesAddressClasses(t *testing.T) {
	c := NewSafeClient(SafeClientOptions{Lookup: ssrfNoDNS(t), DialTimeout: time.Second})
	for _, tt := range ssrfRefusedURLs {
		t.Run(tt.url, func(t *testing.T) {
			resp, err := c.Get(tt.url)
			if err == nil {
				resp.Body.Close()
				t.Fatal("GET succeeded, want it refused")
			}
			if !errors.Is(err, ErrWebhookRefused) {
				t.Errorf("GET = %v, want ErrWebhookRefused", err)
			}
		})
	}
}

// TestRefusalNamesNoResolvedAddress: a refusal shown to the person who
// entered the URL does not say where an internal name points; the detail
// is for the server's log (review S12).
func TestRefusalNamesNoResolvedAddress(t *testing.T) {
	lookup := ssrfLookup(map[string][]string{"db.corp.internal": {"10.0.5.12"}})
	err := CheckURL(context.Background(), "https://db.corp.internal/hook", nil, lookup)
	if err == nil || strings.Contains(err.Error(), "10.0.5.12") || !strings.Contains(err.Error(), "is private") {
		t.Fatalf("CheckURL = %v, want a refusal without the address", err)
	}
	if got, want := RefusalDetail(err), "db.corp.internal resolves to 10.0.5.12"; got != want {
		t.Errorf("RefusalDetail = %q, want %q", got, want)
	}
	if got := RefusalDetail(errors.New("other")); got != "" {
		t.Errorf("RefusalDetail of another error = %q", got)
	}
}

func TestCheckURL(t *testing.T) {
	lookup := ssrfLookup(map[string][]string{
		"hooks.example.com":  {"93.184.216.34", "2606:2800:220:1::1"},
		"mixed.example.com":  {"93.184.216.34", "10.0.0.5"},
		"mapped.example.com": {"::ffff:192.168.0.1"},
		"internal.test":      {"10.0.0.7"},
	})
	tests := []struct {
		url     string
		allow   []string
		wantErr string // "" for accepted
	}{
		{"https://hooks.example.com/incoming", nil, ""},
		{"http://hooks.example.com:8080/x?y=1", nil, ""},
		{"https://93.184.216.34/hook", nil, ""},
		{"https://[2606:4700::1111]/hook", nil, ""},
		{"http://172.32.0.1/", nil, ""},
		{"http://100.128.0.1/", nil, ""},
		{"http://[64:ff9b::808:808]/", nil, ""},
		{"http://[2002:808:808::1]/", nil, ""},
		{"https://mixed.example.com/", nil, "webhook host mixed.example.com resolves to an address that is private"},
		{"https://mapped.example.com/", nil, "is private (IPv4-mapped)"},
		{"https://internal.test/", nil, "webhook host internal.test resolves to an address that is private"},
		{"https://INTERNAL.test./", []string{"internal.test"}, ""},
		{"https://internal.test:8443/", []string{"internal.test:8443"}, ""},
		{"https://internal.test/", []string{"internal.test:8443"}, "is private"},
		{"http://10.0.0.7/", []string{"10.0.0.7"}, ""},
		{"http://[fd00::7]/", []string{"[fd00::7]:80"}, ""},
		{"https://nowhere.test/", nil, "webhook host nowhere.test does not resolve"},
		{"ftp://hooks.example.com/", nil, "must start with http:// or https://"},
		{"javascript:alert(1)", nil, "must start with http:// or https://"},
		{"hooks.example.com/incoming", nil, "must start with http:// or https://"},
		{"https://user:pw@hooks.example.com/", nil, "must not contain a user name or password"},
		{"https:///incoming", nil, "must name a host"},
		{"https://hooks.example.com:0/", nil, "invalid port"},
		{"https://hooks.example.com:70000/", nil, "invalid port"},
		{"https://hooks.example.com/\x7f", nil, "not a valid URL"},
		{"https://hooks.example.com/" + strings.Repeat("a", maxWebhookURL), nil, "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := CheckURL(context.Background(), tt.url, tt.allow, lookup)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckURL = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("CheckURL = %v, want an error containing %q", err, tt.wantErr)
			}
			if !errors.Is(err, ErrWebhookRefused) {
				t.Errorf("CheckURL = %v, want it to match ErrWebhookRefused", err)
			}
		})
	}
}

func TestSafeClientAllowList(t *testing.T) {
	srv, hits := ssrfServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	hostPort := srv.Listener.Addr().String() // 127.0.0.1:port
	_, port, _ := net.SplitHostPort(hostPort)
	lookup := ssrfLookup(map[string][]string{
		"hooks.internal": {"127.0.0.1"},
		"evil.example":   {"127.0.0.1"}, // a public name pointing inside
	})
	tests := []struct {
		name    string
		url     string
		allow   []string
		wantHit bool
	}{
		{"loopback literal, not allowed", "http://" + hostPort + "/", nil, false},
		{"loopback literal allowed with port", "http://" + hostPort + "/", []string{hostPort}, true},
		{"loopback literal allowed without port", "http://" + hostPort + "/", []string{"127.0.0.1"}, true},
		{"allow-list port must match", "http://" + hostPort + "/", []string{"127.0.0.1:1"}, false},
		{"name resolving to loopback", "http://evil.example:" + port + "/", nil, false},
		{"allowing the IP does not allow a name resolving to it", "http://evil.example:" + port + "/", []string{"127.0.0.1"}, false},
		{"allowed name", "http://hooks.internal:" + port + "/", []string{"hooks.internal"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := hits.Load()
			c := NewSafeClient(SafeClientOptions{AllowHosts: tt.allow, Lookup: lookup})
			resp, err := c.Get(tt.url)
			if tt.wantHit {
				if err != nil {
					t.Fatalf("GET: %v, want success", err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(body) != "ok" {
					t.Errorf("body = %q, want ok", body)
				}
			} else {
				if err == nil {
					resp.Body.Close()
					t.Fatal("GET succeeded, want it refused")
				}
				if !errors.Is(err, ErrWebhookRefused) {
					t.Errorf("GET = %v, want ErrWebhookRefused", err)
				}
			}
			if got := hits.Load() - before; (got == 1) != tt.wantHit {
				t.Errorf("server saw %d requests, want hit=%v", got, tt.wantHit)
			}
		})
	}
}

func TestSafeClientDNSRebinding(t *testing.T) {
	// The name is public when the URL is checked and private when the
	// webhook is delivered; the delivery must still be refused.
	srv, hits := ssrfServer(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	var calls atomic.Int32
	lookup := func(ctx context.Context, host string) ([]netip.Addr, error) {
		if calls.Add(1) == 1 {
			return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	u := "http://rebind.example:" + port + "/"
	if err := CheckURL(context.Background(), u, nil, lookup); err != nil {
		t.Fatalf("CheckURL at creation: %v, want nil", err)
	}
	resp, err := NewSafeClient(SafeClientOptions{Lookup: lookup}).Get(u)
	if err == nil {
		resp.Body.Close()
		t.Fatal("delivery succeeded, want it refused")
	}
	if !errors.Is(err, ErrWebhookRefused) || !strings.Contains(err.Error(), "rebind.example resolves to an address that is loopback") ||
		strings.Contains(err.Error(), "127.0.0.1") || RefusalDetail(err) != "rebind.example resolves to 127.0.0.1" {
		t.Errorf("delivery error = %v (detail %q), want loopback refused without naming the address", err, RefusalDetail(err))
	}
	if hits.Load() != 0 {
		t.Errorf("server saw %d requests, want 0", hits.Load())
	}
}

func TestRefuseForbiddenControl(t *testing.T) {
	// The dialer's Control function is the last guard: it sees the address
	// the socket connects to, whatever the resolver said.
	tests := []struct {
		network, address string
		wantErr          bool
	}{
		{"tcp4", "93.184.216.34:443", false},
		{"tcp6", "[2606:4700::1111]:443", false},
		{"tcp4", "10.0.0.1:443", true},
		{"tcp4", "169.254.169.254:80", true},
		{"tcp6", "[::ffff:127.0.0.1]:80", true},
		{"tcp6", "[fe80::1%eth0]:80", true},
		{"udp4", "93.184.216.34:53", true},
		{"tcp4", "example.com:80", true},
	}
	for _, tt := range tests {
		t.Run(tt.network+" "+tt.address, func(t *testing.T) {
			err := refuseForbidden(tt.network, tt.address, nil)
			if (err != nil) != tt.wantErr {
				t.Errorf("refuseForbidden = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestSafeClientDoesNotFollowRedirects(t *testing.T) {
	var followed atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	mux.HandleFunc("/elsewhere", func(http.ResponseWriter, *http.Request) { followed.Store(true) })
	srv, _ := ssrfServer(t, mux)
	c := NewSafeClient(SafeClientOptions{AllowHosts: []string{"127.0.0.1"}})

	resp, err := c.Get(srv.URL + "/hook")
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("status = %d, want %d returned as is", resp.StatusCode, http.StatusFound)
	}
	if followed.Load() {
		t.Error("the redirect was followed")
	}
}

func TestSafeClientTimeouts(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/no-headers", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	srv, _ := ssrfServer(t, mux)
	t.Cleanup(func() { close(release) }) // runs before the server closes

	tests := []struct {
		name string
		path string
		opts SafeClientOptions
	}{
		{"response header timeout", "/no-headers", SafeClientOptions{ResponseHeaderTimeout: 50 * time.Millisecond}},
		{"total timeout while reading the body", "/slow-body", SafeClientOptions{Timeout: 100 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.AllowHosts = []string{"127.0.0.1"}
			resp, err := NewSafeClient(tt.opts).Get(srv.URL + tt.path)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("err = %v, want a timeout", err)
			}
		})
	}
}

func TestSafeClientIgnoresProxyEnvironment(t *testing.T) {
	// http.ProxyFromEnvironment would send every delivery to whatever
	// HTTP_PROXY names, past the address checks.
	c := NewSafeClient(SafeClientOptions{})
	if c.Transport.(*http.Transport).Proxy != nil {
		t.Error("transport has a Proxy function, want none")
	}
}

// ssrfServer starts a test server on 127.0.0.1 and counts its requests.
func ssrfServer(t *testing.T, h http.Handler) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// ssrfLookup returns a LookupFunc that answers from names and fails for
// every other name.
func ssrfLookup(names map[string][]string) LookupFunc {
	return func(ctx context.Context, host string) ([]netip.Addr, error) {
		ips, ok := names[strings.ToLower(strings.TrimSuffix(host, "."))]
		if !ok {
			return nil, fmt.Errorf("no such host %s", host)
		}
		var out []netip.Addr
		for _, ip := range ips {
			out = append(out, netip.MustParseAddr(ip))
		}
		return out, nil
	}
}

// ssrfNoDNS returns a LookupFunc that fails the test if it is called.
func ssrfNoDNS(t *testing.T) LookupFunc {
	return func(ctx context.Context, host string) ([]netip.Addr, error) {
		t.Errorf("unexpected DNS lookup of %s", host)
		return nil, errors.New("no DNS in this test")
	}
}
