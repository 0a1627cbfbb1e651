package web

import (
	"strconv"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
	sendmail "safedesk/web/mail"
	"safedesk/web/mail/mailtest"
)

// TestBrokenMailbox: a mailbox that cannot be read shows on the settings
// page (the mailbox card and doctor's imap check) and mails the owners one
// alert, not one per failing round, even when the server starts again
// while it fails; the first working round clears it.
func TestBrokenMailbox(t *testing.T) {
	env := newEmailEnvLogin(t, "wrong-password-42")
	owner, _, _ := env.member(security.RoleOwner, "olive@northwind.example")
	env.wait()
	drainMail(env.testEnv)

	if err := env.inbox.Poll(t.Context()); err == nil {
		t.Fatal("a round with a wrong password worked")
	}
	// Another Inbox over the same data folder, as after a restart: no
	// backoff holds its round back.
	again, err := sendmail.NewInbox(env.opts, sendmail.InboxDeps{DB: env.db, Threads: env.srv.threads, Log: env.srv.log, Alert: env.mon.AlertNow})
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Poll(t.Context()); err == nil {
		t.Fatal("the second round worked")
	}
	env.wait()
	alerts := 0
	for _, m := range drainMail(env.testEnv) {
		if strings.Contains(m.Subject, "support mailbox cannot be read") {
			alerts++
			if strings.HasSuffix(m.Subject, " from -") || strings.HasSuffix(m.Subject, " from ") {
				t.Errorf("subject %q names a client the server's own event does not have", m.Subject)
			}
			if m.To != "olive@northwind.example" || strings.Contains(m.Text, "wrong-password") {
				t.Errorf("alert to %s:\n%s", m.To, m.Text)
			}
		}
	}
	if alerts != 1 {
		t.Errorf("%d alert mails, want one", alerts)
	}
	if evs, err := env.db.ListSecurityEvents(t.Context(), store.EventFilter{Kind: "mail.mailbox_failing"}); err != nil || len(evs) != 1 {
		t.Errorf("%d security events, %v: want one", len(evs), err)
	}

	page := owner.get("/admin/settings").body
	card := page[max(strings.Index(page, `data-testid="mailbox-state"`), 0):]
	if !strings.HasPrefix(card, `data-testid="mailbox-state">failing since`) || !strings.Contains(card, "log in") {
		t.Errorf("the settings page's mailbox card does not say it fails:\n%.300s", card)
	}
	if !strings.Contains(page, "FAIL") || !strings.Contains(page, "imap:") || strings.Contains(page, "wrong-password") {
		t.Error("the settings page's doctor report does not fail the mailbox, or shows the password")
	}

	// The password is right again (doctor logs in with it), but the
	// server's rounds still fail: doctor says so.
	t.Setenv(sendmail.PasswordEnv, mailtest.Password)
	fixed := sendmail.DefaultInboundOptions()
	fixed.IMAP, fixed.AuthservID = env.imap.URL(), "mx.google.com"
	if err := fixed.Validate("Northwind <support@northwind.example>"); err != nil {
		t.Fatal(err)
	}
	in := devInput(t, env.dir)
	in.Email, in.DB = fixed, env.db
	if c := verdicts(t, in)["imap"]; c.Status != CheckFail || !strings.Contains(c.Detail, "the server's rounds fail since") {
		t.Errorf("doctor's imap check: %+v", c)
	}
	works, err := sendmail.NewInbox(fixed, sendmail.InboxDeps{DB: env.db, Threads: env.srv.threads, Log: env.srv.log, Alert: env.mon.AlertNow})
	if err != nil {
		t.Fatal(err)
	}
	if err := works.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	if state := owner.get("/admin/settings").body; !strings.Contains(state, `data-testid="mailbox-state">working<`) {
		t.Error("after a working round the settings page does not say the mailbox works")
	}
	if c := verdicts(t, in)["imap"]; c.Status == CheckFail {
		t.Errorf("doctor's imap check after a working round: %+v", c)
	}
}

// drainMail takes every mail the sink holds.
func drainMail(env *testEnv) []sentMail {
	var out []sentMail
	for {
		select {
		case m := <-env.mail.msgs:
			out = append(out, m)
		default:
			return out
		}
	}
}

// TestEmailBounceShown: a delivery status notification about our mail
// marks its ticket "delivery failed" for staff, with the status, and adds
// nothing to the conversation; the customer's next mail clears the mark.
func TestEmailBounceShown(t *testing.T) {
	env := newEmailEnv(t)
	env.deliver(customerMail("first-1", "Grinder arrived cracked", "The hopper is cracked.", true))
	ack := env.mail.next(t)
	ts, _ := env.db.ListTickets(t.Context(), store.TicketFilter{AllCustomers: true})
	tk := ts[0]
	env.imap.Deliver(t, mailtest.Fixture(t, "dsn-bounce.eml", "TOKEN", env.db.ReplyToken(tk.ID), "OURID",
		sendmail.NormalizeID(ack.Header.Get("Message-Id")), "ID", strconv.FormatInt(tk.ID, 10)))
	if err := env.inbox.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	agent, _, _ := env.member(security.RoleAgent, "agnes@northwind.example")
	page := agent.get(ticketPath(tk.ID)).body
	notice := page[max(strings.Index(page, `data-testid="delivery-failed"`), 0):]
	if !strings.Contains(notice, "(status 5.1.1): they may not receive replies") {
		t.Errorf("the ticket page does not show the failed delivery:\n%.400s", notice)
	}
	if msgs, _ := env.db.ListMessages(t.Context(), tk.ID, true); len(msgs) != 1 {
		t.Errorf("%d messages: the bounce joined the conversation", len(msgs))
	}
	env.deliver(customerMail("second-2", "Re: Grinder arrived cracked", "My mailbox works again.", true,
		"In-Reply-To: "+ack.Header.Get("Message-Id")+"\n"))
	if page := agent.get(ticketPath(tk.ID)).body; strings.Contains(page, `data-testid="delivery-failed"`) {
		t.Error("the customer's own mail did not clear the mark")
	}
}
