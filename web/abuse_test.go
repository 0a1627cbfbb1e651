package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// The abuse tests run behind a trusted proxy on loopback, so that each
// client gets its own address from X-Forwarded-For; loopback itself is
// exempt from abuse detection.

func newAbuseEnv(t *testing.T) *testEnv {
	t.Helper()
	return newTestServerWith(t, func(c *Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
}

// xffTransport sends each request as if from addr, through the proxy.
type xffTransport struct{ addr *string }

func (x xffTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", *x.addr)
	return http.DefaultTransport.RoundTrip(r)
}

// from makes c's requests come from addr from now on.
func (c *client) from(addr string) *client {
	a := addr
	c.c.Transport = xffTransport{addr: &a}
	return c
}

func (e *testEnv) clientFrom(addr string) *client { return e.client().from(addr) }

// fetchAs is a bare GET for goroutines (no t.Fatal off the test goroutine).
func fetchAs(base, addr, path string) (int, string, error) {
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("X-Forwarded-For", addr)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), nil
}

// scannerPaths is a vulnerability scanner's opening, as seen in real logs.
var scannerPaths = []string{
	"/.env", "/wp-login.php", "/.git/config", "/phpmyadmin/index.php", "/static/../../../../etc/passwd",
	"/?id=1%27%20OR%20%271%27%3D%271", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "/actuator/env",
	"/server-status", "/.aws/credentials", "/backup.sql", "/config.json", "/cgi-bin/test.cgi", "/.DS_Store",
	"/kb/search?q=%3Cscript%3Ealert(1)%3C/script%3E", "/wp-admin/setup-config.php", "/.env.production", "/admin/.htpasswd",
}

// TestScannerBlockedWhileVisitorServed replays a scanner's traffic while a
// person opens pages and their assets as fast as a browser does, in
// parallel: the scanner is blocked within three probes and stays blocked,
// the person never sees a refusal.
func TestScannerBlockedWhileVisitorServed(t *testing.T) {
	env := newAbuseEnv(t)
	const visitor, scanner = "198.51.100.20", "203.0.113.66"
	pages := []string{"/", "/kb", "/kb/cancel-or-change-an-order", "/privacy", "/security", "/kb/search?q=refund", "/tickets/new", "/verify"}
	assets := []string{"/static/app.css", "/static/app.js", "/static/htmx-2.0.11.min.js", "/static/admin.css", "/static/passkey.js"}

	type result struct {
		path   string
		status int
		retry  string
		err    error
	}
	var mu sync.Mutex
	var seen, scanned []result
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the person: rounds of five tabs at once, each page with its assets
		defer wg.Done()
		for round := range 6 {
			var tabs sync.WaitGroup
			for tab := range 5 {
				tabs.Add(1)
				go func() {
					defer tabs.Done()
					page := pages[(round*5+tab)%len(pages)]
					st, ra, err := fetchAs(env.http.URL, visitor, page)
					mu.Lock()
					seen = append(seen, result{page, st, ra, err})
					mu.Unlock()
					var load sync.WaitGroup
					for _, a := range assets {
						load.Add(1)
						go func() {
							defer load.Done()
							st, ra, err := fetchAs(env.http.URL, visitor, a)
							mu.Lock()
							seen = append(seen, result{a, st, ra, err})
							mu.Unlock()
						}()
					}
					load.Wait()
				}()
			}
			tabs.Wait()
		}
	}()
	wg.Add(1)
	go func() { // the scanner: its list, twice over
		defer wg.Done()
		for range 2 {
			for _, p := range scannerPaths {
				st, ra, err := fetchAs(env.http.URL, scanner, p)
				mu.Lock()
				scanned = append(scanned, result{p, st, ra, err})
				mu.Unlock()
			}
		}
	}()
	wg.Wait()

	if len(seen) != 6*5*(1+len(assets)) {
		t.Fatalf("the visitor made %d requests", len(seen))
	}
	for _, r := range seen {
		if r.err != nil || r.status != http.StatusOK {
			t.Errorf("visitor %s: %d %v", r.path, r.status, r.err)
		}
	}
	firstBlock := -1
	for i, r := range scanned {
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.status == http.StatusForbidden && firstBlock < 0 {
			firstBlock = i
		}
		if firstBlock >= 0 && (r.status != http.StatusForbidden || r.retry == "") {
			t.Errorf("scanner request %d %s after the block: %d, Retry-After %q", i, r.path, r.status, r.retry)
		}
	}
	if firstBlock < 0 || firstBlock > 2 {
		t.Fatalf("the scanner was blocked at request %d, want within its first three", firstBlock)
	}

	ctx := context.Background()
	blocks, _ := env.db.ActiveBlocks(ctx)
	if len(blocks) != 1 || blocks[0].Client != scanner || blocks[0].Level != 1 {
		t.Fatalf("blocks %+v, want the scanner's", blocks)
	}
	if n := env.events("abuse.probe"); n < 1 {
		t.Error("no probe event")
	}
	evs, _ := env.db.ListSecurityEvents(ctx, store.EventFilter{Limit: 1000})
	for _, e := range evs {
		if e.ClientIP == visitor {
			t.Errorf("an event about the visitor: %+v", e)
		}
	}
	if es, _ := env.db.ListAudit(ctx, store.AuditFilter{Action: "security.blocked"}); len(es) != 1 || es[0].Target != "client:"+env.db.ClientPseudonym(scanner) {
		t.Errorf("audit %+v", es)
	}
}

// TestBlockEndsSessions: a block ends the customer's session last used
// from the client, so a stolen customer cookie is worthless from anywhere
// afterwards. It never ends or refuses a passkey-authenticated staff
// session (issue 12, item 4): anyone behind the same NAT or carrier address
// could otherwise lock the team out. The block records the staff session
// instead.
func TestBlockEndsSessions(t *testing.T) {
	env := newAbuseEnv(t)
	const attacker, elsewhere = "203.0.113.70", "198.51.100.71"
	cust, ticket := env.signIn("victim@example.org", "Subject", "Body")
	staff, _ := env.owner()
	bystander, _ := env.signIn("bystander@example.org", "Other", "Body")

	// Both cookies are now used from the attacker's address.
	cust.from(attacker)
	if r := cust.get(ticket); r.status != http.StatusOK {
		t.Fatalf("customer from the attacker's address: %d", r.status)
	}
	staff.from(attacker)
	if r := staff.get("/admin/tickets"); r.status != http.StatusOK {
		t.Fatalf("staff from the attacker's address: %d", r.status)
	}
	for _, p := range scannerPaths[:3] {
		cust.get(p)
	}
	if r := cust.get(ticket); r.status != http.StatusForbidden {
		t.Fatalf("after probing: %d, want 403", r.status)
	}
	if r := env.clientFrom(attacker).get("/admin/login"); r.status != http.StatusForbidden {
		t.Errorf("a request without a staff session from the blocked address: %d, want 403", r.status)
	}
	if r := staff.get("/admin/tickets"); r.status != http.StatusOK {
		t.Errorf("the staff session from the blocked address: %d, want 200", r.status)
	}
	if r := staff.post("/admin/tickets/1/update", url.Values{"priority": {"high"}}); r.status != http.StatusSeeOther {
		t.Errorf("a staff action from the blocked address: %d, want 303", r.status)
	}
	cust.from(elsewhere)
	if r := cust.get(ticket); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/verify") {
		t.Errorf("the customer's cookie from elsewhere: %d %s, want a new verification", r.status, r.header.Get("Location"))
	}
	staff.from(elsewhere)
	if r := staff.get("/admin/tickets"); r.status != http.StatusOK {
		t.Errorf("the staff cookie from elsewhere: %d, want 200", r.status)
	}
	if r := bystander.get("/tickets"); r.status != http.StatusOK {
		t.Errorf("another customer's session: %d", r.status)
	}
	es, _ := env.db.ListAudit(context.Background(), store.AuditFilter{Action: "security.blocked"})
	if len(es) != 1 || es[0].Details["staff_sessions_kept"] != 1.0 || es[0].Details["customer_sessions_ended"] != 1.0 {
		t.Errorf("audit %+v", es)
	}
	if n := env.events("abuse.staff_kept"); n != 1 {
		t.Errorf("%d abuse.staff_kept events, want 1", n)
	}
}

// TestCodeStuffingThrottled runs wrong codes against /verify from one
// client: it is refused with 429, then blocked, and the right code does
// not help it then; another client is not affected.
func TestCodeStuffingThrottled(t *testing.T) {
	env := newAbuseEnv(t)
	const stuffer = "203.0.113.80"
	c := env.clientFrom(stuffer)
	if r := c.post("/verify", url.Values{"email": {"target@example.org"}}); r.status != http.StatusSeeOther {
		t.Fatalf("send code: %d", r.status)
	}
	right := env.mail.next(t).code(t)
	count := map[int]int{}
	var order []int
	for i := range 40 {
		wrong := fmt.Sprintf("%06d", (atoi(right)+1+i)%1000000)
		r := c.post("/verify", url.Values{"email": {"target@example.org"}, "code": {wrong}})
		count[r.status]++
		if len(order) == 0 || order[len(order)-1] != r.status {
			order = append(order, r.status)
		}
		if r.status == http.StatusTooManyRequests && r.header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if count[http.StatusSeeOther] > 0 {
		t.Fatal("a wrong code was accepted")
	}
	// Each wrong code counts against the client, and so does its rate of
	// failures against the site's: ten tries at most, then refusals.
	if count[http.StatusUnprocessableEntity] > 10 || order[0] != http.StatusUnprocessableEntity || order[len(order)-1] != http.StatusForbidden {
		t.Fatalf("answers %v in the order %v: want at most ten 422s, then refusals, ending blocked (403)", count, order)
	}
	if r := c.post("/verify", url.Values{"email": {"target@example.org"}, "code": {right}}); r.status != http.StatusForbidden {
		t.Errorf("the right code from the blocked client: %d, want 403", r.status)
	}
	es, _ := env.db.ListAudit(context.Background(), store.AuditFilter{Action: "customer.verify_failed"})
	if len(es) == 0 || es[0].Actor.Type != store.ActorVisitor || es[0].Actor.ClientIP != env.db.ClientPseudonym(stuffer) {
		t.Errorf("audit %+v", es)
	}
	other := env.clientFrom("198.51.100.81")
	if r := other.post("/verify", url.Values{"email": {"someone.else@example.org"}}); r.status != http.StatusSeeOther {
		t.Fatalf("another client sending a code: %d", r.status)
	}
	code := env.mail.next(t).code(t)
	if r := other.post("/verify", url.Values{"email": {"someone.else@example.org"}, "code": {code}}); r.status != http.StatusSeeOther {
		t.Errorf("another client verifying: %d", r.status)
	}
}

// TestCodeSendingLimited: one client cannot spray codes at many mailboxes.
func TestCodeSendingLimited(t *testing.T) {
	env := newAbuseEnv(t)
	c := env.clientFrom("203.0.113.90")
	var refused int
	for i := range security.CodeClientLimit.Burst + 3 {
		r := c.post("/verify", url.Values{"email": {fmt.Sprintf("person%d@example.org", i)}})
		if r.status == http.StatusTooManyRequests {
			refused++
			if r.header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
	}
	if refused != 3 {
		t.Errorf("%d refusals, want 3 past the burst of %d", refused, security.CodeClientLimit.Burst)
	}
}

// TestChatFloodThrottled floods the chat with messages: the flood is
// refused with 429 and Retry-After, a client that keeps flooding despite
// them ends up blocked, and the chat stays open to others.
func TestChatFloodThrottled(t *testing.T) {
	env := newAbuseEnv(t)
	c := env.clientFrom("203.0.113.95")
	if r := c.post("/chat/consent", url.Values{"consent": {"yes"}}); r.status != http.StatusSeeOther {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	count := map[int]int{}
	for i := range 300 {
		r := c.post("/chat/messages", url.Values{"message": {fmt.Sprintf("hello %d", i)}})
		count[r.status]++
		if (r.status == http.StatusTooManyRequests || r.status == http.StatusForbidden) && r.header.Get("Retry-After") == "" {
			t.Fatalf("%d without Retry-After", r.status)
		}
	}
	if count[http.StatusTooManyRequests] == 0 || count[http.StatusForbidden] == 0 {
		t.Fatalf("answers %v: want the flood refused (429), then blocked (403)", count)
	}
	other := env.clientFrom("198.51.100.96")
	if r := other.post("/chat/consent", url.Values{"consent": {"yes"}}); r.status != http.StatusSeeOther {
		t.Fatalf("another visitor's consent: %d", r.status)
	}
	if r := other.post("/chat/messages", url.Values{"message": {"How do I clean my grinder?"}}); r.status >= 400 {
		t.Errorf("another visitor's message: %d", r.status)
	}
}

// TestBlocksSurviveRestart: a new server over the same database refuses a
// client blocked by the old one until the block ends, and remembers the
// level for the next block.
func TestBlocksSurviveRestart(t *testing.T) {
	env := newAbuseEnv(t)
	const scanner = "203.0.113.101"
	c := env.clientFrom(scanner)
	for _, p := range scannerPaths[:3] {
		c.get(p)
	}
	if r := c.get("/"); r.status != http.StatusForbidden {
		t.Fatalf("before the restart: %d", r.status)
	}

	restarted, err := New(env.srv.cfg, env.db, env.srv.mail, env.srv.mon, env.srv.log)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = "127.0.0.1:5555"
		req.Header.Set("X-Forwarded-For", scanner)
		w := httptest.NewRecorder()
		restarted.ServeHTTP(w, req)
		return w
	}
	if w := get("/"); w.Code != http.StatusForbidden || w.Header().Get("Retry-After") == "" {
		t.Fatalf("after the restart: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	env.clock.advance(security.DefaultGuardConfig.BlockFor[0] + time.Second)
	if w := get("/"); w.Code != http.StatusOK {
		t.Fatalf("after the block ended: %d", w.Code)
	}
	for _, p := range scannerPaths[3:12] {
		get(p)
	}
	blocks, _ := env.db.ActiveBlocks(context.Background())
	if len(blocks) != 1 || blocks[0].Level != 2 || blocks[0].Until.Sub(env.clock.Now()) <= security.DefaultGuardConfig.BlockFor[0] {
		t.Fatalf("blocks %+v: want a second, longer block", blocks)
	}
	env.wait()
}

// TestAuthFailuresAudited: refused credentials are audited as a visitor
// with the client address, besides the security event, and count against
// the client.
func TestAuthFailuresAudited(t *testing.T) {
	env := newAbuseEnv(t)
	ctx := context.Background()
	t.Run("an unknown passkey", func(t *testing.T) {
		env.owner()
		stranger := env.clientFrom("203.0.113.110")
		if r := env.login(stranger, env.newDevice()); r.status != http.StatusUnauthorized {
			t.Fatalf("login with an unknown passkey: %d", r.status)
		}
		es, _ := env.db.ListAudit(ctx, store.AuditFilter{Action: "staff.sign_in_failed"})
		if len(es) != 1 || es[0].Actor.Type != store.ActorVisitor || es[0].Actor.ClientIP != env.db.ClientPseudonym("203.0.113.110") ||
			es[0].Details["kind"] != "passkey.unknown_credential" {
			t.Fatalf("audit %+v", es)
		}
	})
	t.Run("bad API tokens, until blocked", func(t *testing.T) {
		const client = "203.0.113.111"
		var last response
		for range 15 {
			req, _ := http.NewRequest("GET", env.http.URL+"/api/v1/tickets", nil)
			req.Header.Set("Authorization", "Bearer sd_nonsense")
			last = env.clientFrom(client).do(req)
		}
		if last.status != http.StatusForbidden || !strings.Contains(last.body, `"code":"blocked"`) {
			t.Fatalf("after 15 bad tokens: %d %s", last.status, last.body)
		}
		es, _ := env.db.ListAudit(ctx, store.AuditFilter{Action: "api.auth_failed", ActorType: store.ActorVisitor})
		if len(es) < 10 || es[0].Actor.ClientIP != env.db.ClientPseudonym(client) {
			t.Fatalf("%d audit entries: %+v", len(es), es)
		}
	})
}

// TestExemptClientsNeverLimited: loopback (a reverse proxy not named in
// --trusted-proxies) is counted but never limited or blocked.
func TestExemptClientsNeverLimited(t *testing.T) {
	env := newTestServer(t)
	c := env.client()
	for _, p := range scannerPaths {
		if r := c.get(p); r.status == http.StatusForbidden || r.status == http.StatusTooManyRequests {
			t.Fatalf("%s: %d", p, r.status)
		}
	}
	for range 2 * security.ClientLimit.Burst {
		if r := c.get("/kb"); r.status != http.StatusOK {
			t.Fatalf("/kb: %d", r.status)
		}
	}
	if blocks, _ := env.db.ActiveBlocks(context.Background()); len(blocks) != 0 {
		t.Fatalf("blocks %+v", blocks)
	}
}
