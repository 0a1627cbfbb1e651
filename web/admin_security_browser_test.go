package web

import (
	"strings"
	"testing"
	"time"
)

// TestBrowserSecurityDashboard opens the dashboard in Chromium: the charts
// draw under the CSP (no inline style, no script of ours), and the live
// panel picks up a new block by itself through its htmx poll; the audit
// log lists the blocks.
func TestBrowserSecurityDashboard(t *testing.T) {
	env, _ := newSecurityEnv(t)
	b := newBrowser(t, env)
	ownerInBrowser(t, env, b)

	for range 30 {
		env.clientFrom("198.51.100.150").get("/kb")
	}
	env.blockScanner("203.0.113.151")
	b.open("/admin/security")
	b.waitPage("/admin/security", "203.0.113.151")
	b.noProblems("the dashboard")
	b.waitFor("the traffic chart has an area", `document.querySelector('#chart-traffic path.area').getBBox().width > 100`)
	b.waitFor("the refusals are coloured by the stylesheet",
		`getComputedStyle(document.querySelector('#chart-refused rect.s-err')).fill !== getComputedStyle(document.querySelector('#chart-refused rect.s-warn') || document.body).fill`)
	b.screenshot("admin-security")

	env.blockScanner("203.0.113.152")
	deadline := time.Now().Add(2*time.Duration(25)*time.Second + time.Second)
	for {
		if got, err := evalAs[string](b, `document.querySelector('[data-testid="blocks"]').innerText`); err == nil && strings.Contains(got, "203.0.113.152") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the live panel did not show the new block within %s\n%s", 2*25*time.Second, b.describe())
		}
		time.Sleep(250 * time.Millisecond)
	}
	if path, _ := evalAs[string](b, "location.pathname"); path != "/admin/security" {
		t.Errorf("the poll navigated to %s", path)
	}
	b.noProblems("after the poll")

	b.open("/admin/audit?action=security.*")
	b.waitPage("/admin/audit", "client:"+env.db.ClientPseudonym("203.0.113.152"))
	b.noProblems("the audit log")
	b.screenshot("admin-audit")
}
