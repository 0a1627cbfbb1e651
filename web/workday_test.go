package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// TestSavedReplies: an editor's reply with a placeholder that does not
// exist is refused with the list of those that do, keeping the text; an
// agent inserts a saved reply without a script (the picker's form) and gets
// it filled in with the ticket's values, as text, and the status it sets
// chosen; sending it sets that status.
func TestSavedReplies(t *testing.T) {
	env := newTestServer(t)
	editor, _, _ := env.member(security.RoleKBEditor, "kb@northwind.example")
	r := editor.post("/admin/replies/new", url.Values{"title": {"Refund"}, "body": {"Dear {{customer.email}}"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "{{customer.first_name}}, {{ticket.id}}, {{agent.name}}") ||
		!strings.Contains(r.body, "Dear {{customer.email}}") {
		t.Fatalf("unknown placeholder: %d\n%s", r.status, r.body)
	}
	body := "Hello {{customer.first_name}}, your refund for #{{ticket.id}} is on its way.\n{{agent.name}}"
	if r := editor.post("/admin/replies/new", url.Values{"title": {"Refund"}, "body": {body}, "status": {"solved"}}); r.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.status, r.body)
	}
	replies, err := env.db.ListReplies(context.Background())
	if err != nil || len(replies) != 1 {
		t.Fatalf("replies %v %v", replies, err)
	}

	tk, err := env.db.CreateTicket(context.Background(), store.NewTicket{Email: "x@example.org", Name: "<b>Ada</b> Byron", Subject: "Refund", Body: "Please."}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	agent, _, _ := env.member(security.RoleAgent, "agent@northwind.example")
	path := "/admin/tickets/" + itoa(tk.ID)
	page := agent.get(path + "?reply=" + itoa(replies[0].ID)).body
	if !strings.Contains(page, "Hello &lt;b&gt;Ada&lt;/b&gt;, your refund for #"+itoa(tk.ID)+" is on its way.\nMember agent</textarea>") {
		t.Fatalf("the reply box does not hold the filled, escaped reply:\n%s", page)
	}
	if !strings.Contains(page, `<option value="solved" selected`) {
		t.Error("the reply's status is not chosen")
	}
	fill := agent.get(path + "/replies/" + itoa(replies[0].ID))
	if fill.header.Get("Content-Type") != "text/plain; charset=utf-8" || fill.header.Get("X-Reply-Status") != "solved" || !strings.HasPrefix(fill.body, "Hello <b>Ada</b>,") {
		t.Errorf("the picker's text: %q %q %q", fill.header.Get("Content-Type"), fill.header.Get("X-Reply-Status"), fill.body)
	}
	if r := agent.post(path+"/reply", url.Values{"body": {"Done."}, "then_status": {"solved"}}); r.status != http.StatusSeeOther {
		t.Fatalf("reply: %d", r.status)
	}
	if got, _ := env.db.GetTicket(context.Background(), tk.ID); got.Status != "solved" {
		t.Errorf("status after the reply: %s", got.Status)
	}
	if r := agent.get("/admin/replies"); r.status != http.StatusForbidden {
		t.Errorf("an agent manages saved replies: %d", r.status)
	}
}

// TestQueueTags: tags set on a ticket and applied in bulk from the queue
// filter the queue; a bad tag comes back with what was typed and ticked.
func TestQueueTags(t *testing.T) {
	env := newTestServer(t)
	agent, _, _ := env.member(security.RoleAgent, "agent@northwind.example")
	var ids []string
	for _, who := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		tk, err := env.db.CreateTicket(context.Background(), store.NewTicket{Email: who, Subject: "From " + who, Body: "x"}, store.SystemActor)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, itoa(tk.ID))
	}
	if r := agent.post("/admin/tickets/"+ids[0]+"/tags", url.Values{"tags": {"Billing, VIP"}}); r.status != http.StatusSeeOther {
		t.Fatalf("tag a ticket: %d", r.status)
	}
	if r := agent.post("/admin/tickets/"+ids[0]+"/tags", url.Values{"tags": {"bad<tag>"}}); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `value="bad&lt;tag&gt;"`) {
		t.Fatalf("a bad tag: %d", r.status)
	}
	back := "/admin/tickets?status=open"
	r := agent.post("/admin/tickets/tags", url.Values{"ticket": {ids[1], ids[2]}, "add": {"refund"}, "back": {back}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != back {
		t.Fatalf("bulk: %d %s", r.status, r.header.Get("Location"))
	}
	r = agent.post("/admin/tickets/tags", url.Values{"ticket": {ids[1]}, "add": {"no;way"}, "back": {back}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `value="no;way"`) || !strings.Contains(r.body, `value="`+ids[1]+`" checked`) {
		t.Fatalf("bulk with a bad tag: %d\n%s", r.status, r.body)
	}
	queue := agent.get("/admin/tickets?tag=refund").body
	if strings.Count(queue, `data-testid="queue-row"`) != 2 || strings.Contains(queue, `href="/admin/tickets/`+ids[0]+`"`) {
		t.Errorf("tag=refund:\n%s", queue)
	}
	if q := agent.get("/admin/tickets?tag=vip").body; !strings.Contains(q, `href="/admin/tickets/`+ids[0]+`"`) || strings.Count(q, `data-testid="queue-row"`) != 1 {
		t.Errorf("tag=vip:\n%s", q)
	}
}

// TestPresence: two staff on one ticket each see the other, viewing or
// writing; the poll does not keep an idle session alive.
func TestPresence(t *testing.T) {
	env := newTestServer(t)
	tk, err := env.db.CreateTicket(context.Background(), store.NewTicket{Email: "a@example.org", Subject: "Help", Body: "x"}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	path := "/admin/tickets/" + itoa(tk.ID)
	ann, _, _ := env.member(security.RoleAgent, "ann@northwind.example")
	bob, _, _ := env.member(security.RoleAdmin, "bob@northwind.example")
	if page := ann.get(path).body; strings.Contains(page, `data-testid="presence-viewing"`) {
		t.Fatal("alone, yet someone is shown")
	}
	if page := bob.get(path).body; !strings.Contains(page, "<strong>Member agent</strong> is viewing") {
		t.Fatalf("bob does not see ann:\n%s", page)
	}
	if poll := ann.getHTMX(path + "/presence?writing=1"); !strings.Contains(poll.body, "<strong>Member admin</strong> is viewing") {
		t.Fatalf("ann does not see bob:\n%s", poll.body)
	}
	if poll := bob.getHTMX(path + "/presence?writing=0"); !strings.Contains(poll.body, "<strong>Member agent</strong> is writing a reply") {
		t.Fatalf("bob does not see ann writing:\n%s", poll.body)
	}
	env.clock.advance(10 * time.Minute)
	if poll := bob.getHTMX(path + "/presence"); poll.status != http.StatusOK || strings.Contains(poll.body, "Member agent") {
		t.Fatalf("a mark older than its life: %d\n%s", poll.status, poll.body)
	}
	env.clock.advance(6 * time.Minute)
	if poll := bob.getHTMX(path + "/presence"); poll.status != http.StatusUnauthorized {
		t.Errorf("polling kept an idle session alive: %d", poll.status)
	}
}

// TestChatPresence: with nobody available, a visitor who asks for a person
// is told at once and the chat waits for their address; once an agent is
// available, the visitor is told someone can join.
func TestChatPresence(t *testing.T) {
	env := newTestServer(t)
	c := env.chatter()
	c.ask("my kettle leaks")
	if r := c.htmx("/chat/handoff", url.Values{}); !strings.Contains(r.body, "Nobody from our team is available") || !strings.Contains(r.body, `data-testid="nobody-free"`) {
		t.Fatalf("nobody available:\n%s", r.body)
	}
	agent, _ := env.availableAgent()
	if page := agent.get("/admin/chats").body; !strings.Contains(page, `data-testid="available"`) {
		t.Fatalf("the chat queue does not show the agent available:\n%s", page)
	}
	d := env.chatter()
	d.ask("my grinder is loud")
	if r := d.htmx("/chat/handoff", url.Values{}); !strings.Contains(r.body, "Someone from our team is available") {
		t.Fatalf("someone available:\n%s", r.body)
	}
	if r := agent.post("/admin/me/available", url.Values{"available": {"0"}}); r.status != http.StatusSeeOther {
		t.Fatalf("away: %d", r.status)
	}
	e := env.chatter()
	e.ask("hello")
	if r := e.htmx("/chat/handoff", url.Values{}); !strings.Contains(r.body, "Nobody from our team is available") {
		t.Fatalf("the agent went away:\n%s", r.body)
	}
}

// TestMyNotificationsPage: every role has the page; roles that work no
// tickets are offered no events.
func TestMyNotificationsPage(t *testing.T) {
	env := newTestServer(t)
	agent, _, _ := env.member(security.RoleAgent, "agent@northwind.example")
	page := agent.get("/admin/me/notifications").body
	for _, want := range []string{`data-testid="notify-new_ticket"`, `data-testid="notify-chat_waiting"`, "agent@northwind.example", `data-testid="availability"`} {
		if !strings.Contains(page, want) {
			t.Errorf("agent page lacks %s", want)
		}
	}
	if !strings.Contains(page, `<option value="now" selected`) {
		t.Error("new tickets are not on by default")
	}
	if r := agent.post("/admin/me/notifications", url.Values{"new_ticket": {"loudly"}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown choice: %d", r.status)
	}
	auditor, _, _ := env.member(security.RoleAuditor, "aud@northwind.example")
	if page := auditor.get("/admin/me/notifications").body; !strings.Contains(page, `data-testid="no-events"`) || strings.Contains(page, `data-testid="availability"`) {
		t.Errorf("auditor page:\n%s", page)
	}
}

// TestDashboard: the owner's dashboard draws each chart with a table
// beside it, for 7, 30 and 90 days; agents may not open it.
func TestDashboard(t *testing.T) {
	env := newTestServer(t)
	owner, _ := env.owner()
	for _, who := range []string{"a@example.org", "b@example.org"} {
		if _, err := env.db.CreateTicket(context.Background(), store.NewTicket{Email: who, Subject: "S", Body: "x"}, store.SystemActor); err != nil {
			t.Fatal(err)
		}
	}
	for _, days := range []string{"7", "30", "90"} {
		page := owner.get("/admin/dashboard?days=" + days).body
		for _, want := range []string{`data-testid="chart-volume"`, `data-testid="volume-table"`, `data-testid="chart-backlog"`, `data-testid="backlog-table"`,
			`data-testid="chart-agents"`, `data-testid="agents-table"`, `<rect class="bar s0"`, "<th scope=\"row\">portal</th><td class=\"num\">2</td>", `aria-current="page">` + days + " days</a>"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s days: the page lacks %s", days, want)
			}
		}
	}
	agent, _, _ := env.member(security.RoleAgent, "agent@northwind.example")
	if r := agent.get("/admin/dashboard"); r.status != http.StatusForbidden {
		t.Errorf("agent: %d", r.status)
	}
}
