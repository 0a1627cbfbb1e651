package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"safedesk/store"
)

// TestAuditNamesClientsByPseudonym (issue 12, item 9): what a customer
// does is audited with a pseudonym of their network address, never the
// address, which the audit page therefore cannot show; the privacy page
// and the export say where addresses are kept and for how long.
func TestAuditNamesClientsByPseudonym(t *testing.T) {
	env := newAbuseEnv(t)
	const addr = "203.0.113.44"
	c := env.clientFrom(addr)
	if r := c.post("/verify", url.Values{"email": {"pia@example.org"}}); r.status != http.StatusSeeOther {
		t.Fatalf("send code: %d", r.status)
	}
	if r := c.post("/verify", url.Values{"email": {"pia@example.org"}, "code": {env.mail.next(t).code(t)}}); r.status != http.StatusSeeOther {
		t.Fatalf("verify: %d", r.status)
	}
	es, _ := env.db.ListAudit(context.Background(), store.AuditFilter{Action: "customer.verified"})
	if len(es) != 1 || !store.IsClientPseudonym(es[0].Actor.ClientIP) || es[0].Actor.ClientIP != env.db.ClientPseudonym(addr) {
		t.Fatalf("audit %+v", es)
	}
	owner, _ := env.owner()
	if page := owner.get("/admin/audit"); page.status != 200 || strings.Contains(page.body, addr) || !strings.Contains(page.body, es[0].Actor.ClientIP) {
		t.Errorf("the audit page shows the address, or not the pseudonym (%d)", page.status)
	}

	privacy := c.get("/privacy").body
	for _, want := range []string{"only records that keep network addresses", "only by a keyed pseudonym, never by its address"} {
		if !strings.Contains(privacy, want) {
			t.Errorf("the privacy page does not say %q", want)
		}
	}
	export := c.get("/me/export").body
	if !strings.Contains(export, "only by a keyed pseudonym") || strings.Contains(export, "never by address or name") ||
		!strings.Contains(export, `"network_pseudonym": "`+es[0].Actor.ClientIP) || strings.Contains(export, addr) {
		t.Errorf("the export:\n%s", export)
	}
}
