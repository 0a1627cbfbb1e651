package web

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
)

// TestMalformedForwardingIsLimited (issue 12, item 20): behind a trusted
// proxy on loopback, a last X-Forwarded-For hop that is no address, or an
// address in another form, is a client of its own that the code limit
// limits: never the exempt proxy.
func TestMalformedForwardingIsLimited(t *testing.T) {
	env := newAbuseEnv(t)
	forms := []struct{ name, header string }{
		{"garbage after an address", "198.18.5.5, not-an-ip"},
		{"an address with a port", "203.0.113.5:1234"},
		{"unknown, as Squid writes it", "203.0.113.6, unknown"},
		{"a bracketed IPv6 address", "[2001:db8::1]"},
		{"an empty header", ""},
		{"no header: the proxy's own request", "-"},
	}
	for i, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			c := env.clientFrom(f.header)
			if f.header == "-" {
				c = env.client()
			}
			var answers []int
			for j := range security.CodeClientLimit.Burst + 2 {
				r := c.post("/verify", url.Values{"email": {fmt.Sprintf("form%d.person%d@example.org", i, j)}})
				answers = append(answers, r.status)
			}
			if last := answers[len(answers)-1]; last != http.StatusTooManyRequests {
				t.Fatalf("answers %v: want the code limit to refuse past its burst of %d", answers, security.CodeClientLimit.Burst)
			}
		})
	}
	env.wait()
	if n := strings.Count(env.logs.String(), `ip=127.0.0.1 `); n != security.CodeClientLimit.Burst+2 {
		t.Errorf("%d requests logged as the proxy's, want only the %d that named no client", n, security.CodeClientLimit.Burst+2)
	}
}

// TestOneExemptionForEveryLimiter (issue 12, item 3): behind a reverse
// proxy on loopback that --trusted-proxies does not name, every visitor
// is the exempt loopback client; no limiter may then refuse one visitor
// for what the others did (the chat, the chat's codes and the API's
// refused tokens each keyed by the shared address before).
func TestOneExemptionForEveryLimiter(t *testing.T) {
	env := newTestServer(t)
	visitor := func(i int) *client { return env.clientFrom(fmt.Sprintf("198.51.100.%d", i+1)) }
	t.Run("chat messages", func(t *testing.T) {
		for i := range chatAddressLimit.Burst + 5 {
			c := visitor(i)
			if r := c.post("/chat/consent", url.Values{"consent": {"yes"}}); r.status != http.StatusSeeOther {
				t.Fatalf("consent %d: %d", i, r.status)
			}
			if r := c.post("/chat/messages", url.Values{"message": {"How do I descale the machine?"}}); r.status != http.StatusSeeOther {
				t.Fatalf("visitor %d's first message: %d, want it accepted", i, r.status)
			}
		}
	})
	t.Run("codes asked for in the chat", func(t *testing.T) {
		for i := range security.CodeClientLimit.Burst + 2 {
			c := visitor(100 + i)
			if r := c.post("/chat/consent", url.Values{"consent": {"yes"}}); r.status != http.StatusSeeOther {
				t.Fatalf("consent %d: %d", i, r.status)
			}
			c.post("/chat/messages", url.Values{"message": {fmt.Sprintf("chat.code%d@example.org", i)}})
			env.mail.next(t)
		}
	})
	t.Run("refused API tokens", func(t *testing.T) {
		for range 25 {
			if r := env.api("GET", "/api/v1/tickets", "sd_nonsense", ""); r.status != http.StatusUnauthorized {
				t.Fatalf("a bad token: %d, want 401", r.status)
			}
		}
		if r := env.api("GET", "/api/v1/tickets", env.token(store.ScopeTicketsRead), ""); r.status != http.StatusOK {
			t.Fatalf("another client's good token after 25 bad ones: %d %s", r.status, r.body)
		}
	})
}

// TestForwardingWithoutTrustedProxy (issue 12, item 3): requests from
// loopback with X-Forwarded-For and no --trusted-proxies make the server
// warn in its log and record it, and doctor fails, both the command (which
// reads the database) and the settings page (the running server's); once
// loopback is trusted, doctor passes.
func TestForwardingWithoutTrustedProxy(t *testing.T) {
	env := newTestServer(t)
	in := devInput(t, env.dir)
	if c := verdicts(t, in)["proxy"]; c.Status != CheckPass {
		t.Fatalf("before any forwarded request: %+v", c)
	}
	for range 3 {
		if r := env.clientFrom("203.0.113.9").get("/kb"); r.status != http.StatusOK {
			t.Fatalf("/kb: %d", r.status)
		}
	}
	if !strings.Contains(env.logs.String(), "SECURITY WARNING: requests arrive from loopback with X-Forwarded-For") {
		t.Errorf("no warning in the log:\n%s", env.logs.String())
	}
	if n := env.events(forwardedKind); n != 1 {
		t.Errorf("%d events recorded, want 1 (then at most hourly)", n)
	}
	for _, open := range []*store.DB{nil, env.db} { // the command line, the settings page
		in.DB = open
		c := verdicts(t, in)["proxy"]
		if c.Status != CheckFail || !strings.Contains(c.Fix, "--trusted-proxies 127.0.0.1/32") {
			t.Errorf("doctor (db %v): %+v", open != nil, c)
		}
	}
	in.TrustedProxies = "127.0.0.1/32"
	if c := verdicts(t, in)["proxy"]; c.Status != CheckPass {
		t.Errorf("with loopback trusted: %+v", c)
	}
	env.clock.advance(forwardedEvery)
	env.clientFrom("203.0.113.9").get("/kb")
	if n := env.events(forwardedKind); n != 2 {
		t.Errorf("%d events an hour later, want 2", n)
	}
}

// TestTrustedProxyRequestsNotExempt: a request through a trusted proxy is
// never exempt, even when the address it names is loopback's.
func TestTrustedProxyRequestsNotExempt(t *testing.T) {
	env := newTestServerWith(t, func(c *Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	s := env.srv
	for _, xff := range []string{"", "127.0.0.1", "garbage"} {
		r, _ := http.NewRequestWithContext(context.Background(), "GET", "/", nil)
		r.RemoteAddr = "127.0.0.1:4444"
		r.Header.Set("X-Forwarded-For", xff)
		ri := &reqInfo{}
		s.resolveClient(r, ri)
		if ri.exempt || ri.key == ([16]byte{}) {
			t.Errorf("X-Forwarded-For %q: exempt %v, key %q", xff, ri.exempt, ri.key)
		}
	}
}
