package store_test

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"safedesk/store"
)

const testMailbox = "imap.example.com/INBOX"

// inbound is an authenticated first message from anna, at UID uid.
func inbound(db *store.DB, uid uint32, body string) store.InboundEmail {
	h := sha256.Sum256([]byte(body))
	return store.InboundEmail{
		MailPosition: store.MailPosition{Mailbox: testMailbox, UIDValidity: 7, UID: uid},
		MessageID:    "msg" + rand.Text() + "@mail.example.com", ContentHash: h[:], Size: int64(len(body)),
		From: "Anna@Example.com", FromName: "Anna Berg", Subject: "Grinder arrived cracked", Text: body, FullText: body + "\n\n> old",
		Headers: "From: Anna <anna@example.com>\r\n", Authenticated: true, Verdict: "DMARC pass for example.com (mx.example.com)",
		AckMessageID: "ack." + rand.Text() + "@shop.example",
	}
}

// newEmailDB is newTestDB with the test mailbox opened.
func newEmailDB(t *testing.T) (*store.DB, *fakeClock) {
	t.Helper()
	db, clk := newTestDB(t)
	if _, _, err := db.OpenMailbox(t.Context(), testMailbox, 7, 0); err != nil {
		t.Fatal(err)
	}
	return db, clk
}

func TestImportEmailNewTicket(t *testing.T) {
	ctx := t.Context()
	db, _ := newEmailDB(t)

	e := inbound(db, 3, "The grinder arrived cracked. My card is 4111 1111 1111 1111.")
	res, err := db.ImportEmail(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != store.EmailTicket || res.TicketID == 0 || !res.Acknowledge {
		t.Fatalf("got %+v, want a new ticket to acknowledge", res)
	}
	tk, err := db.GetTicket(ctx, res.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Channel != store.ChannelEmail || !tk.Confirmed || tk.Subject != "Grinder arrived cracked" {
		t.Errorf("ticket %+v: want an email ticket with a verified sender", tk)
	}
	msgs, err := db.ListMessages(ctx, tk.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Channel != store.ChannelEmail || msgs[0].SenderAuthenticated == nil || !*msgs[0].SenderAuthenticated {
		t.Fatalf("messages %+v: want one authenticated email message", msgs)
	}
	if strings.Contains(msgs[0].Body, "4111") || !res.Redacted.Has("card_number") {
		t.Errorf("body %q, redacted %v: want the card number removed", msgs[0].Body, res.Redacted)
	}
	details, err := db.EmailDetails(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	d := details[msgs[0].ID]
	if d.Sender != "anna@example.com" || !strings.Contains(d.FullText, "> old") || strings.Contains(d.FullText, "4111") ||
		d.HeaderID != e.MessageID || !strings.Contains(d.Verdict, "DMARC pass") {
		t.Errorf("details %+v", d)
	}
	mb, err := db.GetMailbox(ctx, testMailbox)
	if err != nil || mb.LastUID != 3 || mb.Imported != 1 {
		t.Errorf("mailbox %+v, %v: want UID 3 done", mb, err)
	}
	audit, err := db.ListAudit(ctx, store.AuditFilter{Action: "ticket.created", Target: store.TicketTarget(tk.ID)})
	if err != nil || len(audit) != 1 || audit[0].Actor.Type != store.ActorCustomer || audit[0].Details["channel"] != store.ChannelEmail {
		t.Errorf("audit %+v, %v: want the ticket's creation by the customer, by email", audit, err)
	}

	t.Run("the same message again is a duplicate", func(t *testing.T) {
		e.UID = 9 // delivered twice
		res, err := db.ImportEmail(ctx, e)
		if err != nil || res.Outcome != store.EmailDuplicate || res.TicketID != 0 {
			t.Fatalf("got %+v, %v: want a duplicate", res, err)
		}
		ts, err := db.ListTickets(ctx, store.TicketFilter{AllCustomers: true})
		if err != nil || len(ts) != 1 {
			t.Errorf("%d tickets, %v: want one", len(ts), err)
		}
		if mb, _ := db.GetMailbox(ctx, testMailbox); mb.LastUID != 9 || mb.Imported != 1 {
			t.Errorf("mailbox %+v: want the position moved, nothing more imported", mb)
		}
	})
	t.Run("the same Message-ID with other content is another message", func(t *testing.T) {
		other := e
		h := sha256.Sum256([]byte("changed"))
		other.ContentHash, other.UID, other.AckMessageID = h[:], 10, "ack2@shop.example"
		if res, err := db.ImportEmail(ctx, other); err != nil || res.Outcome == store.EmailDuplicate {
			t.Errorf("got %+v, %v", res, err)
		}
	})
}

// TestImportEmailDisplayName: a display name that holds an address, such
// as "anna@example.com" <mallory@evil.example>, is not kept as the
// sender's name (the address that wrote stands instead); an ordinary name
// is.
func TestImportEmailDisplayName(t *testing.T) {
	ctx := t.Context()
	db, _ := newEmailDB(t)
	for i, tt := range []struct{ from, name, want string }{
		{"anna@example.com", "Anna Berg", "Anna Berg"},
		{"mallory@evil.example", "anna@example.com", ""},
		{"mallory2@evil.example", "Anna Berg (anna\uFF20example.com)", ""},
		{"mallory3@evil.example", " kate@example.com via Support ", ""},
	} {
		e := inbound(db, uint32(i+1), "Please change my address.")
		e.From, e.FromName = tt.from, tt.name
		res, err := db.ImportEmail(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.GetCustomer(ctx, res.CustomerID)
		if err != nil || c.Name != tt.want {
			t.Errorf("%q <%s>: name %q, %v; want %q", tt.name, tt.from, c.Name, err, tt.want)
		}
	}
}

// TestImportEmailLookalike: mail from an address that only looks like a
// customer's (a Cyrillic а in the local part or the domain) never reaches that
// customer: it is refused as an address, even with their reply token.
func TestImportEmailLookalike(t *testing.T) {
	ctx := t.Context()
	db, _ := newEmailDB(t)
	first, err := db.ImportEmail(ctx, inbound(db, 1, "First."))
	if err != nil {
		t.Fatal(err)
	}
	for i, from := range []string{"\u0430nna@example.com", "anna@ex\u0430mple.com"} {
		e := inbound(db, uint32(2+i), "Send it elsewhere.")
		e.From, e.ReplyTokens = from, []string{db.ReplyToken(first.TicketID)}
		var verr *store.ValidationError
		if _, err := db.ImportEmail(ctx, e); !errors.As(err, &verr) {
			t.Errorf("%q: %v, want a refused address", from, err)
		}
	}
	msgs, _ := db.ListMessages(ctx, first.TicketID, true)
	held, _ := db.ListQuarantine(ctx, store.QuarantineFilter{All: true})
	if ts, _ := db.ListTickets(ctx, store.TicketFilter{AllCustomers: true}); len(ts) != 1 || len(msgs) != 1 || len(held) != 0 {
		t.Errorf("%d tickets, %d messages, %d held: want nothing stored", len(ts), len(msgs), len(held))
	}
	e := inbound(db, 5, "Second.")
	e.From = "ANNA@EXAMPLE.COM"
	if res, err := db.ImportEmail(ctx, e); err != nil || res.CustomerID != first.CustomerID {
		t.Errorf("the same address in capitals: %+v, %v; want the same customer", res, err)
	}
}

func TestImportEmailThreading(t *testing.T) {
	ctx := t.Context()
	db, clk := newEmailDB(t)
	firstMail := inbound(db, 1, "First.")
	first, err := db.ImportEmail(ctx, firstMail)
	if err != nil {
		t.Fatal(err)
	}
	solved := "solved"
	if _, _, err := db.UpdateTicket(ctx, first.TicketID, store.TicketUpdate{Status: &solved}, editor); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	ours := "reply." + rand.Text() + "@shop.example"
	if ok, err := db.RecordSentEmail(ctx, store.SentEmail{TicketID: first.TicketID, HeaderID: "<" + ours + ">", Kind: "reply", To: "anna@example.com"}); err != nil || !ok {
		t.Fatal(ok, err)
	}
	token := db.ReplyToken(first.TicketID)

	for _, tt := range []struct {
		name   string
		change func(*store.InboundEmail)
		want   string
	}{
		{"by our reply token", func(e *store.InboundEmail) { e.ReplyTokens = []string{token} }, store.EmailReply},
		{"by a Message-ID we sent, deep in References (Apple Mail)", func(e *store.InboundEmail) {
			e.References = []string{"unknown@elsewhere", "<" + ours + ">"}
		}, store.EmailReply},
		{"by the customer's own earlier message (a follow-up to it)", func(e *store.InboundEmail) {
			e.References = []string{firstMail.MessageID}
		}, store.EmailReply},
		{"unknown Message-IDs and a token of no ticket open a new ticket", func(e *store.InboundEmail) {
			e.References = []string{"nothing@here"}
			e.ReplyTokens = []string{"99-aaaaaaaaaaaaaaaa"}
		}, store.EmailTicket},
		{"a forged token opens a new ticket", func(e *store.InboundEmail) {
			e.ReplyTokens = []string{strings.Replace(token, "-", "-x", 1)[:len(token)]}
		}, store.EmailTicket},
		{"an out-of-office reply that finds no ticket opens none", func(e *store.InboundEmail) {
			e.AutoReply, e.Automatic = true, true
		}, store.EmailIgnored},
		{"an out-of-office reply joins its ticket", func(e *store.InboundEmail) {
			e.AutoReply, e.Automatic, e.ReplyTokens = true, true, []string{token}
		}, store.EmailReply},
		{"a number in the subject means nothing", func(e *store.InboundEmail) {
			e.Subject = "Re: [#1] Grinder arrived cracked"
		}, store.EmailTicket},
		{"not authenticated: quarantined", func(e *store.InboundEmail) {
			e.ReplyTokens, e.Authenticated = []string{token}, false
		}, store.EmailQuarantined},
		{"authenticated, but someone else: quarantined", func(e *store.InboundEmail) {
			e.ReplyTokens, e.From = []string{token}, "boss@example.com"
		}, store.EmailQuarantined},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk.Advance(time.Minute)
			e := inbound(db, 0, "Reply: "+tt.name)
			tt.change(&e)
			res, err := db.ImportEmail(ctx, e)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tt.want {
				t.Fatalf("outcome %q, want %q", res.Outcome, tt.want)
			}
			if tt.want != store.EmailTicket && tt.want != store.EmailIgnored && res.TicketID != first.TicketID {
				t.Errorf("ticket %d, want %d", res.TicketID, first.TicketID)
			}
			if res.Acknowledge && tt.want != store.EmailTicket {
				t.Error("a reply was acknowledged")
			}
		})
	}

	tk, err := db.GetTicket(ctx, first.TicketID)
	if err != nil || tk.Status != "open" {
		t.Errorf("ticket %+v, %v: a customer's reply reopens it", tk, err)
	}
	msgs, err := db.ListMessages(ctx, first.TicketID, true)
	if err != nil || len(msgs) != 5 {
		t.Fatalf("%d messages, %v: want the first and four replies (quarantined ones are no part of it)", len(msgs), err)
	}
	thread, err := db.GetEmailThread(ctx, first.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	if len(thread.References) != 7 || thread.References[0] != firstMail.MessageID || thread.References[1] != firstMail.AckMessageID ||
		thread.References[2] != ours {
		t.Errorf("thread %+v: want the customer's first Message-ID, our acknowledgment and reply, then the customer's replies", thread)
	}
	if d, _ := db.EmailDetails(ctx, first.TicketID); thread.InReplyTo != d[msgs[4].ID].HeaderID {
		t.Errorf("In-Reply-To %q: want the customer's newest mail", thread.InReplyTo)
	}
}

// TestLookalikeSender: an address that is no customer's yet but reads like
// one (another domain that passes for theirs) is a look-alike sender, and
// its mail is marked so for staff; the customer's own address, or one
// that reads like nobody's, is not.
func TestLookalikeSender(t *testing.T) {
	ctx := t.Context()
	db, _ := newEmailDB(t)
	if _, err := db.ImportEmail(ctx, inbound(db, 1, "First.")); err != nil { // anna@example.com
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"anna@examp1e.com": true, "Anna@example.co": true, "anna@exarnple.com": true,
		"anna@example.com": false, "ANNA@EXAMPLE.COM": false, "bob@example.com": false, "anna@sample.org": false, "not an address": false,
	} {
		if got, err := db.IsLookalikeSender(ctx, addr); err != nil || got != want {
			t.Errorf("%s: %v, %v; want %v", addr, got, err, want)
		}
	}
	e := inbound(db, 2, "Please send it to Hafenstrasse 1.")
	e.From, e.Lookalike = "anna@examp1e.com", true
	res, err := db.ImportEmail(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	details, err := db.EmailDetails(ctx, res.TicketID)
	if err != nil || len(details) != 1 || !details[res.MessageID].Lookalike {
		t.Errorf("details %+v, %v: want the mail marked", details, err)
	}
	if got, err := db.IsLookalikeSender(ctx, "anna@examp1e.com"); err != nil || got {
		t.Errorf("a customer now: %v, %v; want no second mark", got, err)
	}
}
