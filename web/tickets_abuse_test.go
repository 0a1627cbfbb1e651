package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"safedesk/store"
)

// drain returns the mail that has arrived, once the outbox is idle.
func (e *testEnv) drain() []sentMail {
	e.t.Helper()
	e.wait()
	var out []sentMail
	for {
		select {
		case m := <-e.mail.msgs:
			out = append(out, m)
		default:
			return out
		}
	}
}

// TestAnonymousTicketsMailAnAddressAtMostThreeTimes is issue 12, item 1:
// six visitors from six networks file tickets under one address; it gets
// three mails in the hour, and every ticket is kept, unconfirmed.
func TestAnonymousTicketsMailAnAddressAtMostThreeTimes(t *testing.T) {
	env := newAbuseEnv(t)
	const victim = "victim@example.org"
	for i := range 6 {
		c := env.clientFrom(fmt.Sprintf("198.51.100.%d", 10+i))
		r := c.post("/tickets/new", ticketForm(victim, fmt.Sprint("Request ", i), "Please call me."))
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/verify" {
			t.Fatalf("ticket %d: %d %s", i, r.status, r.header.Get("Location"))
		}
		page := c.get("/verify").body
		if wantReceipt := i < store.CodesPerHour; strings.Contains(page, "sent no receipt") == wantReceipt {
			t.Errorf("ticket %d: the page says whether a receipt was sent wrongly:\n%s", i, page)
		}
	}
	// A code asked for at /verify counts too.
	env.clientFrom("198.51.100.30").post("/verify", url.Values{"email": {victim}})
	mails := env.drain()
	if len(mails) != store.CodesPerHour {
		t.Fatalf("%d mails to the address, want %d", len(mails), store.CodesPerHour)
	}
	for _, m := range mails {
		if m.To != victim || !strings.Contains(m.Subject, "We received your request") {
			t.Errorf("mail %q to %s", m.Subject, m.To)
		}
	}
	ts, err := env.db.ListTickets(context.Background(), storeFilterAll())
	if err != nil || len(ts) != 6 {
		t.Fatalf("tickets: %d, %v; want all 6 kept", len(ts), err)
	}
	for _, tk := range ts {
		if tk.Confirmed {
			t.Errorf("ticket %d filed by a visitor is confirmed", tk.ID)
		}
	}
}

// TestAnonymousTicketsLimitedPerClient is issue 12, item 1: one client
// files at most AnonymousTicketLimit.Burst tickets without verifying; the
// next is refused with everything typed kept.
func TestAnonymousTicketsLimitedPerClient(t *testing.T) {
	env := newAbuseEnv(t)
	c := env.clientFrom("203.0.113.40")
	for i := range AnonymousTicketLimit.Burst {
		if r := c.post("/tickets/new", ticketForm(fmt.Sprintf("p%d@example.org", i), "Subject", "Body")); r.status != http.StatusSeeOther {
			t.Fatalf("ticket %d: %d", i, r.status)
		}
	}
	r := c.post("/tickets/new", ticketForm("p9@example.org", "One too many", "Typed text"))
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("ticket over the limit: %d (Retry-After %q), want 429", r.status, r.header.Get("Retry-After"))
	}
	for _, typed := range []string{"p9@example.org", "One too many", "Typed text", "several requests from your network"} {
		if !strings.Contains(r.body, typed) {
			t.Errorf("the page lacks %q", typed)
		}
	}
	if r := env.clientFrom("203.0.113.41").post("/tickets/new", ticketForm("q@example.org", "S", "B")); r.status != http.StatusSeeOther {
		t.Errorf("another client: %d", r.status)
	}
	if n := len(env.drain()); n != AnonymousTicketLimit.Burst+1 {
		t.Errorf("%d receipts, want %d", n, AnonymousTicketLimit.Burst+1)
	}
}

// TestPlantedTicketStaysOutOfTheOwnersViews is issue 12, item 1 (and
// pentest F4): a ticket filed under a verified customer's address by
// someone else is unconfirmed. Staff see it marked; the customer's list,
// the ticket's page, the chat and the exports leave it out, even after they
// verify again with a code of their own; the audit log names the visitor.
// Once staff confirm it (audited), the customer sees it.
func TestPlantedTicketStaysOutOfTheOwnersViews(t *testing.T) {
	env := newTestServer(t)
	ctx := context.Background()
	alice, own := env.signIn("alice@example.org", "My secret order 4711", "Where is it?")
	const phish = "Account notice: re-confirm your card"
	attacker := env.client()
	if r := attacker.post("/tickets/new", ticketForm("alice@example.org", phish, "Pay at https://evil.example/pay")); r.status != http.StatusSeeOther {
		t.Fatalf("planted ticket: %d", r.status)
	}
	env.mail.next(t) // its receipt, to Alice
	planted := int64(2)
	plantedPath := ticketURL(planted)
	second := env.verifyAs("alice@example.org") // Alice again, with a code of her own

	for name, c := range map[string]*client{"first device": alice, "second device": second} {
		if body := c.get("/tickets").body; strings.Contains(body, phish) || !strings.Contains(body, own) {
			t.Errorf("%s: the list shows the planted ticket or lacks her own:\n%s", name, body)
		}
		if r := c.get(plantedPath); r.status != http.StatusNotFound {
			t.Errorf("%s: the planted ticket's page: %d, want 404", name, r.status)
		}
	}
	consent := alice.post("/chat/consent", url.Values{"consent": {"yes"}})
	if consent.status != http.StatusSeeOther {
		t.Fatalf("consent: %d", consent.status)
	}
	if body := alice.ask("what's the status of my ticket").body; strings.Contains(body, "re-confirm") || !strings.Contains(body, "My secret order") {
		t.Errorf("the chat's list shows the planted ticket or lacks her own:\n%s", body)
	}
	cust := env.customerOf("alice@example.org")
	tok := env.token(store.ScopeCustomersRead, store.ScopeTicketsRead)
	if got := env.api("GET", "/api/v1/customers/"+strconv.FormatInt(cust.ID, 10)+"/export", tok, ""); got.status != 200 || strings.Contains(got.body, phish) {
		t.Errorf("the API's export of Alice: %d, holds the planted ticket: %v", got.status, strings.Contains(got.body, phish))
	}
	if got := env.api("GET", "/api/v1/tickets/2", tok, ""); !strings.Contains(got.body, `"confirmed":false`) {
		t.Errorf("the API shows the planted ticket without its mark: %s", got.body)
	}
	es, _ := env.db.ListAudit(ctx, store.AuditFilter{Action: "ticket.created"})
	for _, e := range es {
		if e.Target == store.TicketTarget(planted) && e.Actor.Type != store.ActorVisitor {
			t.Errorf("the planted ticket's audit entry names %+v, want the visitor", e.Actor)
		}
	}

	staff, _ := env.owner()
	if body := staff.get("/admin/tickets").body; !strings.Contains(body, `data-testid="unconfirmed"`) {
		t.Errorf("the queue does not mark the planted ticket:\n%s", body)
	}
	if body := staff.get("/admin/tickets/2").body; !strings.Contains(body, `data-testid="unconfirmed-notice"`) {
		t.Errorf("the ticket view does not mark it:\n%s", body)
	}
	if body := staff.get("/admin/tickets/1").body; strings.Contains(body, `data-testid="unconfirmed`) {
		t.Error("Alice's own ticket is marked unconfirmed")
	}
	if r := staff.post("/admin/tickets/2/confirm", nil); r.status != http.StatusSeeOther {
		t.Fatalf("confirm: %d", r.status)
	}
	es, _ = env.db.ListAudit(ctx, store.AuditFilter{Action: "ticket.confirmed", Newest: true})
	if len(es) == 0 || es[0].Target != store.TicketTarget(planted) || es[0].Actor.Type != store.ActorStaff {
		t.Errorf("confirm audit: %+v", es)
	}
	if body := alice.get("/tickets").body; !strings.Contains(body, phish) {
		t.Error("a ticket staff confirmed is not in the customer's list")
	}
}

// TestReceiptCodeConfirmsItsTicket is issue 12, items 1 and 15: the
// visitor who filed a ticket enters the code of its receipt and lands on
// it; a verified customer's own ticket needs no code.
func TestReceiptCodeConfirmsItsTicket(t *testing.T) {
	env := newTestServer(t)
	c, path := env.signIn("ann@example.org", "Kettle leaks", "It drips.") // fails unless the code leads to the ticket
	if r := c.get(path); r.status != http.StatusOK || !strings.Contains(r.body, "It drips.") {
		t.Fatalf("the ticket: %d", r.status)
	}
	r := c.post("/tickets/new", ticketForm("ann@example.org", "Second", "More."))
	if r.status != http.StatusSeeOther || r.header.Get("Location") != ticketURL(2) {
		t.Fatalf("a verified customer's ticket: %d %s", r.status, r.header.Get("Location"))
	}
	if tk, err := env.db.GetTicket(context.Background(), 2); err != nil || !tk.Confirmed {
		t.Errorf("a verified customer's own ticket: %+v, %v; want it confirmed", tk, err)
	}
	env.mail.none(t)
}

// TestAPIReplyTellsTheCustomer is issue 12, item 14: a reply through the
// API mails the customer the panel's notification, content-free unless
// --notify-text; an internal note mails nobody.
func TestAPIReplyTellsTheCustomer(t *testing.T) {
	for _, notifyText := range []bool{false, true} {
		t.Run(fmt.Sprint("notify-text ", notifyText), func(t *testing.T) {
			env := newTestServerWith(t, func(c *Config) { c.Privacy.NotifyText = notifyText })
			_, path := env.signIn("bea@example.org", "Order late", "Where is it?")
			id := strings.TrimPrefix(path, "/tickets/")
			tok := env.token(store.ScopeTicketsWrite)
			if got := env.api("POST", "/api/v1/tickets/"+id+"/messages", tok, `{"body":"Internal: ask the warehouse.","internal":true}`); got.status != 201 {
				t.Fatalf("note: %d %s", got.status, got.body)
			}
			env.mail.none(t)
			if got := env.api("POST", "/api/v1/tickets/"+id+"/messages", tok, `{"body":"It left the warehouse today."}`); got.status != 201 {
				t.Fatalf("reply: %d %s", got.status, got.body)
			}
			m := env.mail.next(t)
			if m.To != "bea@example.org" || m.Subject != "[Northwind] New reply to your request #"+id || !strings.Contains(m.Text, env.srv.site.Link(path)) {
				t.Errorf("mail %q to %s:\n%s", m.Subject, m.To, m.Text)
			}
			if strings.Contains(m.Text, "It left the warehouse today.") != notifyText || strings.Contains(m.Text, "Order late") {
				t.Errorf("the mail's text with notify-text %v:\n%s", notifyText, m.Text)
			}
		})
	}
}

// TestOtherCodeDoesNotConfirmTicket is issue 12, items 1 and 15: a visitor
// who files a ticket, then asks for a new code and enters that one, has
// proven the address but not with the ticket's code: the ticket stays
// unconfirmed, and they land on their tickets with a notice, not on a 404.
func TestOtherCodeDoesNotConfirmTicket(t *testing.T) {
	env := newTestServer(t)
	c := env.client()
	if r := c.post("/tickets/new", ticketForm("joy@example.org", "Lamp flickers", "Since Monday.")); r.status != http.StatusSeeOther {
		t.Fatalf("ticket: %d", r.status)
	}
	env.mail.next(t) // the receipt, left unread
	if r := c.post("/verify", url.Values{"email": {"joy@example.org"}, "resend": {"1"}}); r.status != http.StatusSeeOther {
		t.Fatalf("new code: %d", r.status)
	}
	r := c.post("/verify", url.Values{"email": {"joy@example.org"}, "code": {env.mail.next(t).code(t)}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/tickets" {
		t.Fatalf("verify: %d %s, want /tickets", r.status, r.header.Get("Location"))
	}
	page := c.get("/tickets").body
	if strings.Contains(page, "Lamp flickers") || !strings.Contains(page, "Request #1 is not among your requests yet") {
		t.Errorf("the list shows the unconfirmed ticket or no notice:\n%s", page)
	}
}
