package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
)

// TestTicketSearchByEmailNeedsReveal: an agent, who sees customers masked,
// cannot learn who is behind an address by searching for it; an admin can,
// and the search is audited as a reveal (review S9).
func TestTicketSearchByEmailNeedsReveal(t *testing.T) {
	env := newTestServer(t)
	ctx := context.Background()
	if _, err := env.db.CreateTicket(ctx, store.NewTicket{Email: "victim@example.org", Name: "V", Subject: "VICTIM-KETTLE", Body: "b"}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	reveals := func() int {
		es, err := env.db.ListAudit(ctx, store.AuditFilter{Action: "customer.pii_revealed"})
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	search := "/admin/tickets?" + url.Values{"q": {"victim@example.org"}}.Encode()

	agent, _, _ := env.member(security.RoleAgent, "agent@northwind.example")
	resp := agent.get(search)
	if resp.status != http.StatusOK || strings.Contains(resp.body, "VICTIM-KETTLE") || strings.Contains(resp.body, "v***@example.org") {
		t.Fatalf("agent search by address: %d, shows the customer", resp.status)
	}
	if !strings.Contains(resp.body, "Search by subject instead") {
		t.Errorf("agent not told why:\n%s", resp.body)
	}
	if resp := agent.get("/admin/tickets?q=kettle"); !strings.Contains(resp.body, "VICTIM-KETTLE") {
		t.Error("agent cannot search by subject")
	}
	if n := reveals(); n != 0 {
		t.Fatalf("%d reveals audited after the refused search", n)
	}

	admin, _, _ := env.member(security.RoleAdmin, "admin@northwind.example")
	if resp := admin.get(search); !strings.Contains(resp.body, "VICTIM-KETTLE") {
		t.Fatalf("admin search by address finds nothing:\n%s", resp.body)
	}
	if n := reveals(); n != 1 {
		t.Errorf("%d reveals audited, want 1", n)
	}
}
