package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"safedesk/store"
)

func storeFilterAll() store.TicketFilter { return store.TicketFilter{AllCustomers: true, Limit: 200} }

func TestPortalPages(t *testing.T) {
	env := newTestServer(t)
	c := env.client()
	tests := []struct {
		name, path string
		status     int
		want       string
	}{
		{"home", "/", 200, "How can we help?"},
		{"kb list", "/kb", 200, `data-testid="articles"`},
		{"article", "/kb/returns-and-refunds", 200, `data-testid="article"`},
		{"missing article", "/kb/nope", 404, "Page not found"},
		{"search", "/kb/search?q=refund", 200, "<mark>"},
		{"search nothing", "/kb/search?q=zzzzqqq", 200, `data-testid="no-results"`},
		{"new ticket", "/tickets/new", 200, `name="subject"`},
		{"verify", "/verify", 200, `name="email"`},
		{"tickets needs verification", "/tickets", 303, ""},
		{"privacy", "/privacy", 200, `data-testid="privacy"`},
		{"security", "/security", 200, "never"},
		{"healthz", "/healthz", 200, "ok"},
		{"readyz", "/readyz", 200, "ready"},
		{"static css", "/static/app.css", 200, "--accent"},
		{"htmx", "/static/htmx-2.0.11.min.js", 200, "htmx"},
		{"unknown", "/nothing-here", 404, "Page not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := c.get(tt.path)
			if resp.status != tt.status {
				t.Fatalf("status %d, want %d", resp.status, tt.status)
			}
			if !strings.Contains(resp.body, tt.want) {
				t.Fatalf("body lacks %q:\n%.500s", tt.want, resp.body)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	env := newTestServer(t)
	resp := env.client().get("/kb")
	csp := resp.header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows unsafe code: %q", csp)
	}
	for h, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "strict-origin-when-cross-origin",
		"X-Frame-Options":        "DENY",
	} {
		if got := resp.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if resp.header.Get("Permissions-Policy") == "" || resp.header.Get("X-Request-Id") == "" {
		t.Error("Permissions-Policy or X-Request-Id missing")
	}
	if resp.header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain HTTP")
	}
}

// TestNoInlineCode checks every portal page for inline scripts, inline
// styles and event-handler attributes, which the CSP would block.
func TestNoInlineCode(t *testing.T) {
	env := newTestServer(t)
	c := env.client()
	for _, path := range []string{"/", "/kb", "/kb/returns-and-refunds", "/kb/search?q=refund", "/tickets/new", "/verify", "/privacy", "/security", "/nope"} {
		body := c.get(path).body
		low := strings.ToLower(body)
		for _, bad := range []string{"<script>", "style=", " onclick=", " onload=", " onerror=", " onsubmit=", "javascript:", "<style"} {
			if strings.Contains(low, bad) {
				t.Errorf("%s contains %q", path, bad)
			}
		}
	}
}

func TestSearchHostileInput(t *testing.T) {
	env := newTestServer(t)
	c := env.client()
	for _, q := range []string{`"`, `*`, `NEAR(`, `AND OR NOT`, `'; DROP TABLE kb_articles; --`, `title:refund`, `<script>alert(1)</script>`, strings.Repeat("refund ", 200)} {
		resp := c.get("/kb/search?q=" + url.QueryEscape(q))
		if resp.status != http.StatusOK {
			t.Fatalf("q=%.40q: status %d", q, resp.status)
		}
		if strings.Contains(resp.body, "<script>alert(1)") {
			t.Fatal("query echoed unescaped")
		}
	}
	if resp := c.get("/kb/returns-and-refunds"); resp.status != 200 {
		t.Fatal("articles gone after hostile searches")
	}
}

func TestArticleRawHTMLEscaped(t *testing.T) {
	html, err := RenderMarkdown("Hello <script>alert(1)</script>\n\n<div onclick=\"x()\">block</div>\n\n[bad](javascript:alert(1))")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "<div onclick", `href="javascript:`} {
		if strings.Contains(html, bad) {
			t.Fatalf("rendered HTML contains %q:\n%s", bad, html)
		}
	}
	if !strings.Contains(html, "&lt;script&gt;") {
		t.Fatalf("raw HTML not shown escaped:\n%s", html)
	}
}

func TestTrustedProxies(t *testing.T) {
	env := newTestServer(t)
	s := env.srv
	tests := []struct {
		name    string
		proxies string
		remote  string
		xff     string
		want    string
		exempt  bool
	}{
		{"untrusted peer ignores the header", "", "203.0.113.7:1234", "198.51.100.1", "203.0.113.7", false},
		{"trusted peer uses the header", "127.0.0.1/32", "127.0.0.1:1234", "198.51.100.1", "198.51.100.1", false},
		{"spoofed left entries are ignored", "127.0.0.1/32", "127.0.0.1:1234", "6.6.6.6, 198.51.100.1", "198.51.100.1", false},
		{"chains of proxies", "127.0.0.1/32,10.0.0.0/8", "127.0.0.1:1234", "198.51.100.1, 10.1.2.3", "198.51.100.1", false},
		{"garbage is a client of its own, never the proxy", "127.0.0.1/32", "127.0.0.1:1234", "198.51.100.1, nonsense", `forwarded:"nonsense"`, false},
		{"a port is read off", "127.0.0.1/32", "127.0.0.1:1234", "203.0.113.5:1234", "203.0.113.5", false},
		{"brackets are read off", "127.0.0.1/32", "127.0.0.1:1234", "[2001:db8::1]", "2001:db8::1", false},
		{"bracketed address with a port", "127.0.0.1/32", "127.0.0.1:1234", "[2001:db8::1]:443", "2001:db8::1", false},
		{"only the proxy: limited like anyone", "127.0.0.1/32", "127.0.0.1:1234", "", "127.0.0.1", false},
		{"loopback without trusted proxies is exempt", "", "127.0.0.1:1234", "", "127.0.0.1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.cfg.TrustedProxies = nil
			for _, p := range strings.Split(tt.proxies, ",") {
				if p != "" {
					s.cfg.TrustedProxies = append(s.cfg.TrustedProxies, mustPrefix(t, p))
				}
			}
			r, _ := http.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			ri := &reqInfo{}
			s.resolveClient(r, ri)
			if got := ri.clientLabel(); got != tt.want || ri.exempt != tt.exempt {
				t.Fatalf("client %s (exempt %v), want %s (exempt %v)", got, ri.exempt, tt.want, tt.exempt)
			}
		})
	}
}

func mustPrefix(t *testing.T, s string) netip.Prefix {
	t.Helper()
	p, err := netip.ParsePrefix(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPanicShowsPlainPage: a handler that panics gives a plain 500 page with
// a reference, never the panic or a stack; the log has the stack with the
// personal data in the panic value masked.
func TestPanicShowsPlainPage(t *testing.T) {
	env := newTestServer(t)
	s := env.srv
	h := s.chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("lookup failed for alice.secret@example.org")
	}), s.requestID, s.recoverPanics)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/boom", nil))
	body := w.Body.String()
	if w.Code != http.StatusInternalServerError || !strings.Contains(body, "Something went wrong") || !strings.Contains(body, "Reference:") {
		t.Fatalf("status %d:\n%s", w.Code, body)
	}
	if strings.Contains(body, "alice.secret") || strings.Contains(body, "goroutine") || strings.Contains(body, "lookup failed") {
		t.Fatal("the page shows the panic")
	}
	logs := env.logs.String()
	if !strings.Contains(logs, "goroutine") || !strings.Contains(logs, "a***@example.org") {
		t.Fatalf("log lacks the stack or the masked value:\n%.400s", logs)
	}
	if strings.Contains(logs, "alice.secret@example.org") {
		t.Fatal("log holds the address in the clear")
	}
}

// TestArticleCacheHoldsNothingOfAVisitor is issue 12, item 6: a visitor
// with a notice waiting (a ticket just filed) and a verified customer open
// an article, and each sees what is theirs; other visitors get the page
// without their notice or address, from the cache.
func TestArticleCacheHoldsNothingOfAVisitor(t *testing.T) {
	env := newTestServer(t)
	const article = "/kb/returns-and-refunds"
	filer := env.client()
	if r := filer.post("/tickets/new", ticketForm("hal@example.org", "Subject", "Body")); r.status != http.StatusSeeOther {
		t.Fatalf("ticket: %d", r.status)
	}
	env.mail.next(t) // the receipt
	if body := filer.get(article).body; !strings.Contains(body, `data-testid="notice"`) {
		t.Errorf("the visitor who filed the ticket does not see their notice:\n%.600s", body)
	}
	customer, _ := env.signIn("ivy@example.org", "Subject", "Body")
	if body := customer.get(article).body; !strings.Contains(body, `data-testid="nav-customer"`) {
		t.Error("the customer's page does not name them")
	}
	for range 2 { // the first fills the cache, the second reads it
		body := env.client().get(article).body
		for _, leak := range []string{`data-testid="notice"`, "request #", `data-testid="nav-customer"`, "i***@example.org"} {
			if strings.Contains(body, leak) {
				t.Fatalf("another visitor's page holds %q", leak)
			}
		}
		if !strings.Contains(body, `data-testid="article"`) {
			t.Fatal("no article")
		}
	}
}
