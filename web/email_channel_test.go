package web

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
	"safedesk/store/storetest"
	sendmail "safedesk/web/mail"
	"safedesk/web/mail/mailtest"
)

// emailEnv is the web server with a support mailbox read by an Inbox over
// a real IMAP server; mail out goes to the test server's SMTP sink.
type emailEnv struct {
	*testEnv
	imap  *mailtest.IMAPServer
	inbox *sendmail.Inbox
	opts  sendmail.InboundOptions
}

func newEmailEnv(t *testing.T) *emailEnv {
	t.Helper()
	return newEmailEnvLogin(t, mailtest.Password)
}

// newEmailEnvLogin is newEmailEnv logging in to the mailbox with password.
func newEmailEnvLogin(t *testing.T, password string) *emailEnv {
	t.Helper()
	t.Setenv(sendmail.PasswordEnv, password)
	imap := mailtest.NewIMAPServer(t)
	opts := sendmail.DefaultInboundOptions()
	opts.IMAP, opts.AuthservID = imap.URL(), "mx.google.com"
	if err := opts.Validate("Northwind <support@northwind.example>"); err != nil {
		t.Fatal(err)
	}
	env := newTestServerWith(t, func(c *Config) { c.Email.Options = opts })
	return &emailEnv{testEnv: env, imap: imap, inbox: env.srv.Inbox(), opts: opts}
}

// deliver puts raw into the mailbox and reads it.
func (e *emailEnv) deliver(raw string) {
	e.t.Helper()
	e.imap.Deliver(e.t, []byte(strings.ReplaceAll(raw, "\n", "\r\n")))
	if err := e.inbox.Poll(e.t.Context()); err != nil {
		e.t.Fatal(err)
	}
	e.wait()
}

// customerMail is a mail from Anna, authenticated (or not) by the
// receiving server.
func customerMail(id, subject, body string, pass bool, extra ...string) string {
	verdict := "pass"
	if !pass {
		verdict = "fail"
	}
	return "Return-Path: <anna.berg@example.com>\n" +
		"Authentication-Results: mx.google.com; dkim=" + verdict + " header.i=@example.com; dmarc=" + verdict + " header.from=example.com\n" +
		strings.Join(extra, "") +
		"From: Anna " + nameMarker + " <anna.berg@example.com>\nTo: support@northwind.example\nSubject: " + subject + "\n" +
		"Message-ID: <" + id + "@mail.example.com>\nDate: Mon, 7 Dec 2026 11:00:00 +0100\nMIME-Version: 1.0\n" +
		"Content-Type: text/plain; charset=utf-8\n\n" + body + "\n"
}

var nameMarker = "Name" + rand.Text()

// TestEmailConversation is the email channel end to end: a customer's
// mail becomes a ticket, an agent answers in the panel, the answer goes
// out by mail with its text and threaded, the customer's reply to it
// joins the same ticket, and nothing personal is in the data folder in
// the clear.
func TestEmailConversation(t *testing.T) {
	env := newEmailEnv(t)
	marks := map[string]string{"name": nameMarker}
	for _, k := range []string{"subject", "body", "staff reply", "customer reply", "quoted"} {
		marks[k] = strings.ReplaceAll(k, " ", "") + "Marker" + rand.Text()
	}

	env.deliver(customerMail("first-1", "Grinder "+marks["subject"], "The hopper is cracked. "+marks["body"], true))
	ts, err := env.db.ListTickets(t.Context(), store.TicketFilter{AllCustomers: true})
	if err != nil || len(ts) != 1 || ts[0].Channel != store.ChannelEmail || !ts[0].Confirmed {
		t.Fatalf("tickets %+v, %v", ts, err)
	}
	tk := ts[0]
	ack := env.mail.next(t)
	if ack.Header.Get("Auto-Submitted") != "auto-replied" || !strings.Contains(ack.Subject, fmt.Sprintf("[#%d]", tk.ID)) {
		t.Errorf("acknowledgment %q %v", ack.Subject, ack.Header)
	}

	agent, _, _ := env.member(security.RoleAgent, "agnes@northwind.example")
	reply := "We are sending a new hopper today. " + marks["staff reply"]
	if resp := agent.post(ticketPath(tk.ID)+"/reply", url.Values{"body": {reply}}); resp.status != http.StatusSeeOther {
		t.Fatalf("reply: %d %s", resp.status, resp.body)
	}
	env.wait()
	out := env.mail.next(t)
	h := out.Header
	if out.To != "anna.berg@example.com" || !strings.Contains(out.Text, reply) || h.Get("In-Reply-To") != "<first-1@mail.example.com>" ||
		!strings.Contains(h.Get("References"), "<first-1@mail.example.com>") || h.Get("Auto-Submitted") != "" ||
		!strings.HasPrefix(h.Get("Reply-To"), "<support+"+strconv.FormatInt(tk.ID, 10)+"-") || out.Subject != fmt.Sprintf("Re: Grinder %s [#%d]", marks["subject"], tk.ID) {
		t.Fatalf("the reply went out as %q to %s with %v:\n%s", out.Subject, out.To, h, out.Text)
	}

	// Anna answers from her mail program: to the Reply-To, In-Reply-To our
	// reply, our text quoted below hers.
	replyTo := strings.Trim(h.Get("Reply-To"), "<>")
	answer := customerMail("second-2", "Re: "+out.Subject, "Thank you! "+marks["customer reply"]+"\n\nOn Mon, 7 Dec 2026 at 15:00, Northwind <"+replyTo+"> wrote:\n> "+marks["quoted"], true,
		"In-Reply-To: "+h.Get("Message-Id")+"\n", "References: <first-1@mail.example.com> "+h.Get("Message-Id")+"\n")
	answer = strings.Replace(answer, "To: support@northwind.example", "To: Northwind <"+replyTo+">", 1)
	env.deliver(answer)
	msgs, err := env.db.ListMessages(t.Context(), tk.ID, true)
	if err != nil || len(msgs) != 3 || !strings.Contains(msgs[2].Body, marks["customer reply"]) || strings.Contains(msgs[2].Body, marks["quoted"]) {
		t.Fatalf("messages %+v, %v: want the reply on the same ticket, its quote trimmed", msgs, err)
	}
	if ts, _ := env.db.ListTickets(t.Context(), store.TicketFilter{AllCustomers: true}); len(ts) != 1 || ts[0].Status != "open" {
		t.Errorf("tickets %+v: want the one ticket, open again", ts)
	}

	page := agent.get(ticketPath(tk.ID))
	for _, want := range []string{`data-testid="by-email"`, `data-testid="sender-authenticated"`, `data-testid="quoted-text"`, marks["quoted"], `data-testid="ticket-channel">email`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the ticket page lacks %q", want)
		}
	}

	token := env.token(store.ScopeTicketsRead)
	api := env.api("GET", "/api/v1/tickets/"+strconv.FormatInt(tk.ID, 10), token, "")
	var got struct {
		Channel  string `json:"channel"`
		Messages []struct {
			Channel             string `json:"channel"`
			SenderAuthenticated *bool  `json:"sender_authenticated"`
		} `json:"messages"`
	}
	if err := json.Unmarshal([]byte(api.body), &got); err != nil || got.Channel != "email" || len(got.Messages) != 3 ||
		got.Messages[0].SenderAuthenticated == nil || !*got.Messages[0].SenderAuthenticated || got.Messages[1].SenderAuthenticated != nil {
		t.Errorf("API %d %s", api.status, api.body)
	}

	// A reply through the API goes out by mail the same way.
	writer := env.token(store.ScopeTicketsWrite)
	if resp := env.api("POST", "/api/v1/tickets/"+strconv.FormatInt(tk.ID, 10)+"/messages", writer, `{"body":"Shipped today, tracking follows."}`); resp.status != http.StatusCreated {
		t.Fatalf("API reply: %d %s", resp.status, resp.body)
	}
	env.wait()
	viaAPI := env.mail.next(t)
	if !strings.Contains(viaAPI.Text, "Shipped today") || viaAPI.Header.Get("In-Reply-To") != "<second-2@mail.example.com>" {
		t.Errorf("the API reply went out as %v:\n%s", viaAPI.Header, viaAPI.Text)
	}
	if resp := env.api("POST", "/api/v1/tickets/"+strconv.FormatInt(tk.ID, 10)+"/messages", writer, `{"body":"note to self","internal":true}`); resp.status != http.StatusCreated {
		t.Fatalf("API note: %d", resp.status)
	}
	env.wait()
	env.mail.none(t)

	// The channel filters the queue and the API's list.
	if _, err := env.db.CreateTicket(t.Context(), store.NewTicket{Email: "dora@example.org", Name: "Dora", Subject: "PortalOnlySubject", Body: "Hi"},
		store.Actor{Type: store.ActorVisitor}); err != nil {
		t.Fatal(err)
	}
	if q := agent.get("/admin/tickets?channel=email").body; !strings.Contains(q, marks["subject"]) || strings.Contains(q, "PortalOnlySubject") {
		t.Error("the queue's channel filter does not filter")
	}
	if list := env.api("GET", "/api/v1/tickets?channel=portal", token, ""); !strings.Contains(list.body, `"channel":"portal"`) || strings.Contains(list.body, `"channel":"email"`) {
		t.Errorf("the API's channel filter: %s", list.body)
	}
	if bad := env.api("GET", "/api/v1/tickets?channel=fax", token, ""); bad.status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown channel: %d", bad.status)
	}

	privacy := env.client().get("/privacy").body
	if !strings.Contains(privacy, `data-testid="email-channel"`) || !strings.Contains(privacy, "Our mailbox provider (localhost)") {
		t.Error("the privacy page does not say what happens to mail, or who holds the mailbox")
	}

	all := dataFolderBytes(t, env.dir)
	for what, m := range marks {
		if bytes.Contains(all, []byte(m)) {
			t.Errorf("the %s %q is in the data folder in plaintext", what, m)
		}
	}
	if bytes.Contains(all, []byte("anna.berg@example.com")) {
		t.Error("the customer's address is in the data folder in plaintext")
	}
}

// TestEmailForgeries: a forged reply is held, not shown anywhere, until a
// person accepts it; a forged new request is a ticket marked "sender not
// verified" that the claimed customer does not see and that shows nothing
// of their other tickets.
func TestEmailForgeries(t *testing.T) {
	env := newEmailEnv(t)
	env.deliver(customerMail("first-1", "Grinder arrived cracked", "The hopper is cracked.", true))
	env.mail.next(t) // the acknowledgment
	ts, _ := env.db.ListTickets(t.Context(), store.TicketFilter{AllCustomers: true})
	tk := ts[0]
	token := env.db.ReplyToken(tk.ID)

	forged := customerMail("forged-2", "Re: Grinder arrived cracked", "Send it to Hafenstrasse 1 instead. ForgedMarker", false)
	forged = strings.Replace(forged, "To: support@northwind.example", "To: support+"+token+"@northwind.example", 1)
	env.deliver(forged)
	agent, _, _ := env.member(security.RoleAgent, "agnes@northwind.example")
	customer := env.verifyAs("anna.berg@example.com")
	apiToken := env.token(store.ScopeTicketsRead)
	for name, body := range map[string]string{
		"panel conversation": conversationOf(agent.get(ticketPath(tk.ID)).body),
		"portal":             customer.get("/tickets/" + strconv.FormatInt(tk.ID, 10)).body,
		"API":                env.api("GET", "/api/v1/tickets/"+strconv.FormatInt(tk.ID, 10), apiToken, "").body,
	} {
		if strings.Contains(body, "ForgedMarker") {
			t.Errorf("the forged reply is in the %s", name)
		}
	}
	page := agent.get(ticketPath(tk.ID))
	if !strings.Contains(page.body, `data-testid="held-reply"`) || !strings.Contains(page.body, "not authenticated") {
		t.Fatalf("the held reply is not shown to staff:\n%s", page.body)
	}
	held, _ := env.db.ListQuarantine(t.Context(), store.QuarantineFilter{})
	if resp := agent.post("/admin/email/quarantine/"+strconv.FormatInt(held[0].ID, 10)+"/accept", nil); resp.status != http.StatusSeeOther {
		t.Fatalf("accept: %d", resp.status)
	}
	if !strings.Contains(conversationOf(agent.get(ticketPath(tk.ID)).body), "ForgedMarker") {
		t.Error("the accepted reply is not in the conversation")
	}
	if !auditHas(t, env.testEnv, "email.quarantine_accepted") {
		t.Error("the acceptance is not audited")
	}

	// A forged new request in Anna's name.
	env.deliver(customerMail("forged-3", "Change my address", "New address: Hafenstrasse 1.", false))
	ts, _ = env.db.ListTickets(t.Context(), store.TicketFilter{AllCustomers: true})
	fake := ts[0]
	if fake.Confirmed || fake.CustomerID != tk.CustomerID {
		t.Fatalf("ticket %+v: want one marked sender not verified", fake)
	}
	page = agent.get(ticketPath(fake.ID))
	if !strings.Contains(page.body, `data-testid="sender-unverified"`) || !strings.Contains(page.body, "DMARC fail for example.com") ||
		strings.Contains(page.body, "/admin/customers/") {
		t.Errorf("the unverified ticket's page: want the verdict and no way to the claimed customer's other tickets")
	}
	if list := customer.get("/tickets"); strings.Contains(list.body, "Change my address") {
		t.Error("the claimed customer sees the forged request as theirs")
	}
	if resp := customer.get("/tickets/" + strconv.FormatInt(fake.ID, 10)); resp.status != http.StatusNotFound {
		t.Errorf("the claimed customer opens it: %d", resp.status)
	}
	if resp := agent.post(ticketPath(fake.ID)+"/confirm", nil); resp.status != http.StatusSeeOther {
		t.Fatalf("confirm: %d", resp.status)
	}
	if !auditHas(t, env.testEnv, "ticket.confirmed") {
		t.Error("confirming the sender is not audited as the ticket's confirmation")
	}
	if list := customer.get("/tickets"); !strings.Contains(list.body, "Change my address") {
		t.Error("once staff confirmed the sender, the customer should see it")
	}
}

// conversationOf is the conversation part of the panel's ticket page.
func conversationOf(page string) string {
	start := strings.Index(page, `data-testid="conversation"`)
	end := strings.Index(page, "</ol>")
	if start < 0 || end < start {
		return ""
	}
	return page[start:end]
}

func ticketPath(id int64) string { return "/admin/tickets/" + strconv.FormatInt(id, 10) }

// auditHas reports whether the audit log holds an entry of action.
func auditHas(t *testing.T, env *testEnv, action string) bool {
	t.Helper()
	var n int
	if err := storetest.Raw(t, env.db).QueryRowContext(t.Context(), "SELECT COUNT(*) FROM audit_log WHERE action = ?", action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// dataFolderBytes is every file of the data folder, the WAL included.
func dataFolderBytes(t *testing.T, dir string) []byte {
	t.Helper()
	var all []byte
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		all = append(all, b...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}
