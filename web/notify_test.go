package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// staffMail runs the notification job and returns the mail it sent, by
// recipient.
func (e *testEnv) staffMail() map[string][]sentMail {
	e.t.Helper()
	e.notifier().Run(context.Background())
	out := map[string][]sentMail{}
	for _, m := range e.drain() {
		out[m.To] = append(out[m.To], m)
	}
	return out
}

// TestNewTicketMailsTheTeamOnce: a ticket from the portal mails every
// agent, admin and owner once, with its number, the masked customer and a
// link, and never its subject or text; the knowledge-base editor and the
// auditor hear nothing, and a second run sends nothing again.
func TestNewTicketMailsTheTeamOnce(t *testing.T) {
	env := newTestServer(t)
	env.owner()
	env.member(security.RoleAgent, "agent@northwind.example")
	env.member(security.RoleKBEditor, "kb@northwind.example")
	env.member(security.RoleAuditor, "audit@northwind.example")
	env.drain()

	c := env.client()
	if r := c.post("/tickets/new", ticketForm("jane.doe@example.org", "My bank PIN is in here", "Secret words: plum tomato")); r.status != http.StatusSeeOther {
		t.Fatalf("ticket: %d", r.status)
	}
	env.drain() // the receipt to the customer
	got := env.staffMail()
	var to []string
	for addr := range got {
		to = append(to, addr)
	}
	slices.Sort(to)
	if want := []string{"agent@northwind.example", "olive@northwind.example"}; !slices.Equal(to, want) {
		t.Fatalf("mailed %v, want %v", to, want)
	}
	id := regexp.MustCompile(`#(\d+)`).FindStringSubmatch(got["agent@northwind.example"][0].Subject)
	for addr, ms := range got {
		if len(ms) != 1 {
			t.Errorf("%s got %d mails", addr, len(ms))
		}
		m := ms[0]
		for _, secret := range []string{"PIN", "plum tomato", "jane.doe"} {
			if strings.Contains(m.Subject+m.Text, secret) {
				t.Errorf("%s: mail carries %q:\n%s\n%s", addr, secret, m.Subject, m.Text)
			}
		}
		if id == nil || !strings.Contains(m.Text, "j***@example.org") || !regexp.MustCompile(`/admin/tickets/`+id[1]+`\s`).MatchString(m.Text) {
			t.Errorf("%s: no number, masked customer or link:\n%s", addr, m.Text)
		}
	}
	if again := env.staffMail(); len(again) != 0 {
		t.Errorf("a second run mailed again: %v", again)
	}
}

// TestReplyAndAssignmentMailTheAssignee: assigning a ticket mails the
// assignee; the customer's reply on it mails the assignee only; each
// person's choices turn each mail off.
func TestReplyAndAssignmentMailTheAssignee(t *testing.T) {
	env := newTestServer(t)
	owner, _ := env.owner()
	agentClient, _, agent := env.member(security.RoleAgent, "agent@northwind.example")
	customer, path := env.signIn("ada@example.org", "Grinder squeaks", "It squeaks.")
	id := strings.TrimPrefix(path, "/tickets/")
	env.staffMail() // the new-ticket notices

	if r := owner.post("/admin/tickets/"+id+"/update", url.Values{"assignee": {itoa(agent.ID)}}); r.status != http.StatusSeeOther {
		t.Fatalf("assign: %d", r.status)
	}
	got := env.staffMail()
	if len(got) != 1 || len(got["agent@northwind.example"]) != 1 || !strings.Contains(got["agent@northwind.example"][0].Text, "assigned to you") {
		t.Fatalf("assignment mail: %v", got)
	}
	if r := customer.post(path+"/reply", url.Values{"body": {"Any news? It still squeaks."}}); r.status != http.StatusSeeOther {
		t.Fatalf("customer reply: %d", r.status)
	}
	got = env.staffMail()
	m := got["agent@northwind.example"]
	if len(got) != 1 || len(m) != 1 || !strings.Contains(m[0].Text, "Customer reply on your ticket #"+id) || strings.Contains(m[0].Text, "still squeaks") {
		t.Fatalf("reply mail: %v", got)
	}

	t.Run("choices turn them off", func(t *testing.T) {
		form := url.Values{"new_ticket": {"off"}, "customer_reply": {"off"}, "assigned": {"off"}, "chat_waiting": {"off"}, "due_soon": {"off"}}
		if r := agentClient.post("/admin/me/notifications", form); r.status != http.StatusSeeOther {
			t.Fatalf("save choices: %d %s", r.status, r.body)
		}
		if r := customer.post(path+"/reply", url.Values{"body": {"Hello?"}}); r.status != http.StatusSeeOther {
			t.Fatalf("customer reply: %d", r.status)
		}
		if r := owner.post("/admin/tickets/"+id+"/update", url.Values{"assignee": {"0"}}); r.status != http.StatusSeeOther {
			t.Fatalf("unassign: %d", r.status)
		}
		if r := owner.post("/admin/tickets/"+id+"/update", url.Values{"assignee": {itoa(agent.ID)}}); r.status != http.StatusSeeOther {
			t.Fatalf("assign: %d", r.status)
		}
		env.client().post("/tickets/new", ticketForm("bob@example.org", "Another", "Text"))
		env.drain()
		got := env.staffMail()
		if len(got["agent@northwind.example"]) != 0 {
			t.Errorf("mailed despite every choice off: %v", got["agent@northwind.example"])
		}
		if len(got["olive@northwind.example"]) != 1 {
			t.Errorf("the owner's new-ticket mail: %v", got)
		}
	})
}

// TestNotificationsAreGrouped: three tickets filed within one collection
// window make one mail per person, listing all three.
func TestNotificationsAreGrouped(t *testing.T) {
	env := newTestServer(t)
	env.owner()
	env.drain()
	for _, who := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		env.client().post("/tickets/new", ticketForm(who, "Subject of "+who, "Text"))
	}
	env.drain()
	got := env.staffMail()["olive@northwind.example"]
	if len(got) != 1 {
		t.Fatalf("%d mails, want 1", len(got))
	}
	if n := strings.Count(got[0].Text, "New ticket #"); n != 3 || !strings.Contains(got[0].Subject, "3 updates") {
		t.Errorf("one mail lists %d tickets (subject %q):\n%s", n, got[0].Subject, got[0].Text)
	}
}

// TestDailyDigest: a person who chose the digest hears nothing at once and
// everything in the digest.
func TestDailyDigest(t *testing.T) {
	env := newTestServer(t)
	owner, _ := env.owner()
	if r := owner.post("/admin/me/notifications", url.Values{"new_ticket": {"digest"}}); r.status != http.StatusSeeOther {
		t.Fatalf("choose the digest: %d", r.status)
	}
	env.drain()
	env.client().post("/tickets/new", ticketForm("a@example.org", "One", "Text"))
	env.drain()
	if got := env.staffMail(); len(got) != 0 {
		t.Fatalf("mailed at once: %v", got)
	}
	env.notifier().Digest(context.Background())
	got := env.drain()
	if len(got) != 1 || !strings.Contains(got[0].Subject, "daily summary") || !strings.Contains(got[0].Text, "New ticket #") {
		t.Fatalf("digest: %+v", got)
	}
}

// TestRefusedMailShowsOnTheStaffPage: a relay that refuses a staff
// member's address for good shows it on the staff page, and a mail that
// goes through clears it.
func TestRefusedMailShowsOnTheStaffPage(t *testing.T) {
	env := newTestServer(t)
	owner, _ := env.owner()
	env.member(security.RoleAgent, "agent@northwind.example")
	env.drain()
	env.mail.refused.Store("agent@northwind.example", true)
	env.client().post("/tickets/new", ticketForm("a@example.org", "One", "Text"))
	env.drain()
	env.staffMail()
	env.wait() // the outcome is recorded once the relay has answered
	page := owner.get("/admin/staff").body
	if !strings.Contains(page, `data-testid="mail-problem"`) || !strings.Contains(page, "550 5.1.1") {
		t.Fatalf("staff page lacks the refused address:\n%s", page)
	}
	env.mail.refused.Delete("agent@northwind.example")
	env.client().post("/tickets/new", ticketForm("b@example.org", "Two", "Text"))
	env.drain()
	env.staffMail()
	env.wait()
	if got := owner.get("/admin/staff").body; strings.Contains(got, `data-testid="mail-problem"`) {
		t.Error("a delivered mail left the problem shown")
	}
}

// TestChatWaitingAndDueSoonMails: a person who chose them hears of a chat
// waiting for a person and of a due time about to be missed, once each.
func TestChatWaitingAndDueSoonMails(t *testing.T) {
	env := newTestServer(t)
	agent, st := env.availableAgent()
	if r := agent.post("/admin/me/notifications", url.Values{"chat_waiting": {"now"}, "due_soon": {"now"}, "new_ticket": {"off"}}); r.status != http.StatusSeeOther {
		t.Fatalf("choices: %d", r.status)
	}
	if _, err := env.db.SetDueTargets(context.Background(), store.DueTargets{"normal": {FirstResponse: 90 * time.Minute}}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	env.drain()
	c := env.chatter()
	c.ask("my kettle leaks")
	c.htmx("/chat/handoff", url.Values{})
	tk, err := env.db.CreateTicket(context.Background(), store.NewTicket{Email: "x@example.org", Subject: "Due", Body: "x"}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	got := env.staffMail()[st.Email]
	if len(got) != 1 || !strings.Contains(got[0].Text, "A chat is waiting for a person: ") || strings.Contains(got[0].Text, "kettle") {
		t.Fatalf("chat mail: %+v", got)
	}
	env.clock.advance(45 * time.Minute) // due in 45 minutes: within the hour's warning
	got = env.staffMail()[st.Email]
	if len(got) != 1 || !strings.Contains(got[0].Text, "Ticket #"+itoa(tk.ID)) || !strings.Contains(got[0].Text, "is due") {
		t.Fatalf("due mail: %+v", got)
	}
	if again := env.staffMail(); len(again) != 0 {
		t.Errorf("warned twice: %v", again)
	}
}
