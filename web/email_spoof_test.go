package web

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
)

// TestEmailLookalikeSender: mail from a domain of its own that reads like
// a customer's (examp1e.com for example.com) passes DMARC for itself, so
// it is a confirmed ticket of a new customer; staff see it marked as a
// look-alike address, and a display name that holds the customer's
// address is not shown as the sender's name. A genuinely new sender is
// not marked.
func TestEmailLookalikeSender(t *testing.T) {
	env := newEmailEnv(t)
	env.deliver(customerMail("first-1", "Grinder arrived cracked", "The hopper is cracked.", true))
	env.mail.next(t) // the acknowledgment
	spoof := strings.ReplaceAll(customerMail("spoof-2", "Change of address", "Please send it to Hafenstrasse 1.", true), "example.com", "examp1e.com")
	spoof = strings.Replace(spoof, "From: Anna "+nameMarker+" <", "From: \"anna.berg@example.com\" <", 1)
	env.deliver(spoof)
	other := strings.ReplaceAll(customerMail("other-3", "Wholesale", "Do you sell to shops?", true), "anna.berg@example.com", "bo@shop.example")
	env.deliver(strings.ReplaceAll(other, "example.com", "shop.example"))

	ts, _ := env.db.ListTickets(t.Context(), store.TicketFilter{AllCustomers: true})
	if len(ts) != 3 || !ts[1].Confirmed || ts[1].CustomerID == ts[2].CustomerID {
		t.Fatalf("tickets %+v: want the look-alike's a confirmed ticket of its own", ts)
	}
	agent, _, _ := env.member(security.RoleAgent, "agnes@northwind.example")
	page := agent.get(ticketPath(ts[1].ID)).body
	if !strings.Contains(page, `data-testid="lookalike-sender"`) || !strings.Contains(page, `data-testid="sender-authenticated"`) {
		t.Error("the look-alike sender's ticket is not marked")
	}
	if c, err := env.db.GetCustomer(t.Context(), ts[1].CustomerID); err != nil || c.Name != "" {
		t.Errorf("the look-alike's name is %q (%v): want none rather than the customer's address", c.Name, err)
	}
	for _, tk := range []store.Ticket{ts[0], ts[2]} {
		if strings.Contains(agent.get(ticketPath(tk.ID)).body, `data-testid="lookalike-sender"`) {
			t.Errorf("ticket %q is marked as from a look-alike address", tk.Subject)
		}
	}
}

// TestEmailHeadersRevealed: the header section of a mail, kept instead of
// the raw message, is shown to a role that may reveal personal data, with
// the receiving server's verdict and with secrets removed, and the viewing
// is audited; an agent may not see it.
func TestEmailHeadersRevealed(t *testing.T) {
	env := newEmailEnv(t)
	env.deliver(customerMail("first-1", "Card 4111 1111 1111 1111 declined", "It was declined.", true))
	ts, _ := env.db.ListTickets(t.Context(), store.TicketFilter{AllCustomers: true})
	msgs, _ := env.db.ListMessages(t.Context(), ts[0].ID, true)
	path := ticketPath(ts[0].ID) + "/headers/" + strconv.FormatInt(msgs[0].ID, 10)
	agent, _, _ := env.member(security.RoleAgent, "agnes@northwind.example")
	if resp := agent.post(path, nil); resp.status != http.StatusForbidden {
		t.Errorf("an agent asked for the headers: %d", resp.status)
	}
	admin, _, _ := env.member(security.RoleAdmin, "adam@northwind.example")
	resp := admin.post(path, nil)
	if resp.status != http.StatusOK || !strings.Contains(resp.body, "Authentication-Results: mx.google.com") ||
		!strings.Contains(resp.body, "Message-ID: &lt;first-1@mail.example.com&gt;") || strings.Contains(resp.body, "4111 1111") {
		t.Errorf("headers: %d\n%s", resp.status, resp.body)
	}
	if !auditHas(t, env.testEnv, "customer.pii_revealed") {
		t.Error("viewing the headers is not audited")
	}
}
