package web

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// newSecurityEnv is newAbuseEnv with an audit signing key.
func newSecurityEnv(t *testing.T) (*testEnv, ed25519.PrivateKey) {
	t.Helper()
	key, err := security.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	env := newEnvWith(t, func(c *Config, _ *store.DB) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	}, key)
	return env, key
}

// blockScanner has addr probe until it is blocked.
func (e *testEnv) blockScanner(addr string) {
	e.t.Helper()
	c := e.clientFrom(addr)
	for _, p := range scannerPaths {
		if r := c.get(p); r.status == http.StatusForbidden {
			return
		}
	}
	e.t.Fatalf("%s was never blocked", addr)
}

func TestSecurityDashboard(t *testing.T) {
	env, _ := newSecurityEnv(t)
	owner, _ := env.owner()
	auditor, _, _ := env.member(security.RoleAuditor, "auditor@northwind.example")
	agent, _, _ := env.member(security.RoleAgent, "agent@northwind.example")
	const scanner = "203.0.113.120"
	for range 20 {
		env.clientFrom("198.51.100.121").get("/kb")
	}
	env.clientFrom("198.51.100.121").get("/no-such-page")
	env.blockScanner(scanner)
	if _, err := env.mon.Checkpoint(context.Background(), store.CheckpointManual); err != nil {
		t.Fatal(err)
	}

	t.Run("auditors read it", func(t *testing.T) {
		r := auditor.get("/admin/security")
		if r.status != http.StatusOK {
			t.Fatalf("status %d", r.status)
		}
		for _, want := range []string{`data-testid="chart-traffic"`, `data-testid="chart-refused"`, `data-testid="chart-events"`,
			`data-testid="block-row"`, scanner, `data-testid="event-row"`, "abuse.blocked", `data-testid="verdict-ok"`,
			"against 1 signed checkpoints", `hx-get="/admin/security/live"`, "<rect class=\"bar s-err\""} {
			if !strings.Contains(r.body, want) {
				t.Errorf("the page lacks %s", want)
			}
		}
		if strings.Contains(r.body, `data-testid="lift"`) {
			t.Error("an auditor is offered to lift a block")
		}
		if regexp.MustCompile(`\sstyle=`).MatchString(r.body) {
			t.Error("the page carries an inline style attribute, which the CSP refuses")
		}
	})

	t.Run("the summary counts the traffic", func(t *testing.T) {
		r := auditor.get("/admin/security")
		stat := regexp.MustCompile(`<span class="stat-value">(\d+)</span> <span class="stat-label">refused to blocked clients`).FindStringSubmatch(r.body)
		if stat == nil || stat[1] == "0" {
			t.Errorf("blocked requests: %v", stat)
		}
	})

	t.Run("the live panel is a fragment for polling", func(t *testing.T) {
		r := auditor.get("/admin/security/live")
		if r.status != http.StatusOK || !strings.HasPrefix(strings.TrimSpace(r.body), `<div id="security-live"`) || strings.Contains(r.body, "<html") {
			t.Fatalf("live: %d %.200s", r.status, r.body)
		}
	})

	t.Run("agents may not see it", func(t *testing.T) {
		if r := agent.get("/admin/security"); r.status != http.StatusForbidden {
			t.Errorf("agent: %d", r.status)
		}
	})

	t.Run("auditors may not lift a block", func(t *testing.T) {
		if r := auditor.post("/admin/security/blocks/lift", url.Values{"client": {scanner}}); r.status != http.StatusForbidden {
			t.Errorf("auditor lift: %d", r.status)
		}
	})

	t.Run("owners lift a block", func(t *testing.T) {
		if !strings.Contains(owner.get("/admin/security").body, `data-testid="lift"`) {
			t.Fatal("no lift button for the owner")
		}
		if r := owner.post("/admin/security/blocks/lift", url.Values{"client": {scanner}}); r.status != http.StatusSeeOther {
			t.Fatalf("lift: %d", r.status)
		}
		if r := env.clientFrom(scanner).get("/kb"); r.status != http.StatusOK {
			t.Errorf("the lifted client: %d", r.status)
		}
		es, _ := env.db.ListAudit(context.Background(), store.AuditFilter{Action: "security.block_lifted"})
		if len(es) != 1 || es[0].Actor.Type != store.ActorStaff || es[0].Target != "client:"+env.db.ClientPseudonym(scanner) {
			t.Errorf("audit %+v", es)
		}
		if r := owner.post("/admin/security/blocks/lift", url.Values{"client": {"not an address"}}); r.status != http.StatusBadRequest {
			t.Errorf("lifting nonsense: %d", r.status)
		}
	})

	t.Run("tampering shows on the dashboard with the entry named", func(t *testing.T) {
		raw, err := sql.Open("sqlite", "file:"+env.db.Path()+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.Exec(`DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor_id = '99' WHERE seq = 2`); err != nil {
			t.Fatal(err)
		}
		if r := auditor.post("/admin/security/verify", nil); r.status != http.StatusSeeOther {
			t.Fatalf("verify now: %d", r.status)
		}
		r := auditor.get("/admin/security")
		if !strings.Contains(r.body, `data-testid="verdict-bad"`) || !strings.Contains(r.body, `<strong data-testid="bad-seq">2</strong>`) {
			t.Fatalf("the dashboard does not name entry 2:\n%s", r.body)
		}
		if n := env.events("audit.chain_broken"); n != 1 {
			t.Errorf("%d audit.chain_broken events, want 1", n)
		}
		if _, err := env.mon.Checkpoint(context.Background(), store.CheckpointPeriodic); err == nil {
			t.Error("a checkpoint was signed over a tampered log")
		}
	})
}

func TestSecurityAlertsMailed(t *testing.T) {
	env, _ := newSecurityEnv(t)
	env.owner()
	env.member(security.RoleAdmin, "admin@northwind.example")
	env.member(security.RoleAgent, "agent@northwind.example")
	const scanner = "203.0.113.130"
	env.blockScanner(scanner)
	got := map[string]sentMail{}
	for range 2 {
		m := env.mail.next(t)
		got[m.To] = m
	}
	env.mail.none(t)
	for _, to := range []string{"olive@northwind.example", "admin@northwind.example"} {
		m, ok := got[to]
		if !ok || !strings.Contains(m.Subject, "Security alert") || !strings.Contains(m.Subject, scanner) ||
			!strings.Contains(m.Text, "/admin/security") {
			t.Errorf("mail to %s: %+v", to, m)
		}
	}

	t.Run("the same alert is not repeated within the hour", func(t *testing.T) {
		env.clock.advance(security.DefaultGuardConfig.BlockFor[0] + time.Second)
		env.blockScanner(scanner)
		env.wait()
		env.mail.none(t)
	})
}

// TestExemptTrafficWarning: when nearly every request comes from an exempt
// address (a proxy not named in --trusted-proxies), the dashboard says so.
func TestExemptTrafficWarning(t *testing.T) {
	env := newTestServer(t)
	owner, _ := env.owner()
	if strings.Contains(owner.get("/admin/security").body, `data-testid="security-warning"`) {
		t.Fatal("a warning before there is traffic to judge")
	}
	for range 200 {
		env.client().get("/healthz") // not counted
	}
	for range 200 {
		env.client().get("/static/app.css")
	}
	if r := owner.get("/admin/security"); !strings.Contains(r.body, `data-testid="security-warning"`) || !strings.Contains(r.body, "--trusted-proxies") {
		t.Fatalf("no warning after 200 requests from loopback")
	}
}
