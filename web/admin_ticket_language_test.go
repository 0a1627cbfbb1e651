package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
)

func TestStaffChangeTicketLanguage(t *testing.T) {
	e := newTestServer(t)
	ctx := t.Context()
	tk, err := e.db.CreateTicket(ctx, store.NewTicket{Email: "ute@example.org", Name: "Ute", Subject: "Mahlwerk", Body: "Es ist kaputt.", Lang: "de"}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	agent, _, _ := e.member(security.RoleAgent, "agnes@northwind.example")
	if page := agent.get(ticketPath(tk.ID)); !strings.Contains(page.body, `data-testid="ticket-language">Deutsch<`) ||
		!strings.Contains(page.body, `data-testid="ticket-language-form"`) {
		t.Fatal("the ticket page does not show the ticket's language (Deutsch) with a form to change it")
	}
	if resp := agent.post(ticketPath(tk.ID)+"/language", url.Values{"lang": {"pt"}}); resp.status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown language: %d, want 422", resp.status)
	}
	if resp := agent.post(ticketPath(tk.ID)+"/language", url.Values{"lang": {"fr"}}); resp.status != http.StatusSeeOther {
		t.Fatalf("change: %d\n%s", resp.status, resp.body)
	}
	if page := agent.get(ticketPath(tk.ID)); !strings.Contains(page.body, `data-testid="ticket-language">Français<`) {
		t.Error("the badge does not show the new language")
	}
	entries, err := e.db.ListAudit(ctx, store.AuditFilter{Action: "ticket.language", Target: store.TicketTarget(tk.ID)})
	if err != nil || len(entries) != 1 || entries[0].Actor.Type != store.ActorStaff || entries[0].Details["to"] != "fr" {
		t.Fatalf("audit %+v (%v), want one ticket.language entry by staff", entries, err)
	}

	// Mail about the ticket now speaks French.
	if resp := agent.post(ticketPath(tk.ID)+"/reply", url.Values{"body": {"C'est en route."}}); resp.status != http.StatusSeeOther {
		t.Fatalf("reply: %d", resp.status)
	}
	e.wait()
	if m := e.mail.next(t); !strings.Contains(m.Text, "a reçu une nouvelle réponse") {
		t.Errorf("the reply notification is not in French:\n%s", m.Text)
	}

	// The customer's export names it.
	x, err := e.srv.exportSubject(ctx, tk.CustomerID, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tickets []struct {
			Language string `json:"language"`
		} `json:"tickets"`
	}
	if err := json.Unmarshal(x.doc, &doc); err != nil || len(doc.Tickets) != 1 || doc.Tickets[0].Language != "fr" {
		t.Errorf("export tickets %+v (%v), want the language fr", doc.Tickets, err)
	}
}
