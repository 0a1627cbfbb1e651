package store_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"path/filepath"
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
	if tk.Channel != store.ChannelEmail || tk.SenderUnverified || tk.Subject != "Grinder arrived cracked" {
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

func TestQuarantine(t *testing.T) {
	ctx := t.Context()
	db, _ := newEmailDB(t)
	first, err := db.ImportEmail(ctx, inbound(db, 1, "First."))
	if err != nil {
		t.Fatal(err)
	}
	held := func(body string, change func(*store.InboundEmail)) int64 {
		t.Helper()
		e := inbound(db, 0, body)
		e.ReplyTokens = []string{db.ReplyToken(first.TicketID)}
		change(&e)
		res, err := db.ImportEmail(ctx, e)
		if err != nil || res.Outcome != store.EmailQuarantined {
			t.Fatalf("got %+v, %v", res, err)
		}
		return res.QuarantineID
	}
	a := held("Please send it to my new address.", func(e *store.InboundEmail) { e.Authenticated = false })
	b := held("I am her colleague.", func(e *store.InboundEmail) { e.From = "colleague@example.com" })

	pending, err := db.ListQuarantine(ctx, store.QuarantineFilter{})
	if err != nil || len(pending) != 2 || n(db, t) != 2 {
		t.Fatalf("%d pending, %v", len(pending), err)
	}
	if pending[0].ID != b || pending[0].Reason != store.QuarantineNotCustomer || pending[1].Reason != store.QuarantineNotAuthenticated ||
		pending[1].Text != "Please send it to my new address." || pending[0].Sender != "colleague@example.com" {
		t.Errorf("pending %+v", pending)
	}

	m, err := db.AcceptQuarantined(ctx, a, editor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AcceptQuarantined(ctx, a, editor); !errors.Is(err, store.ErrConflict) {
		t.Errorf("accepting twice: %v, want ErrConflict", err)
	}
	if tid, err := db.DismissQuarantined(ctx, b, editor); err != nil || tid != first.TicketID {
		t.Fatal(err)
	}
	msgs, err := db.ListMessages(ctx, first.TicketID, false)
	if err != nil || len(msgs) != 2 || msgs[1].ID != m.ID || msgs[1].Body != "Please send it to my new address." ||
		msgs[1].SenderAuthenticated == nil || *msgs[1].SenderAuthenticated {
		t.Fatalf("messages %+v, %v: want the accepted reply, marked not authenticated", msgs, err)
	}
	if left, _ := db.ListQuarantine(ctx, store.QuarantineFilter{}); len(left) != 0 || n(db, t) != 0 {
		t.Errorf("%d still pending", len(left))
	}
	all, err := db.ListQuarantine(ctx, store.QuarantineFilter{TicketID: first.TicketID, All: true})
	if err != nil || len(all) != 2 || all[0].Decision != store.QuarantineDismissed || all[1].Decision != store.QuarantineAccepted || all[1].MessageID != m.ID {
		t.Errorf("decided %+v, %v", all, err)
	}
	for _, action := range []string{"email.quarantined", "email.quarantine_accepted", "email.quarantine_dismissed"} {
		if !hasAudit(t, db, action) {
			t.Errorf("no %s audit entry", action)
		}
	}
}

func n(db *store.DB, t *testing.T) int {
	t.Helper()
	c, err := db.CountQuarantine(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func hasAudit(t *testing.T, db *store.DB, action string) bool {
	t.Helper()
	var c int
	if err := db.Writer().QueryRowContext(t.Context(), "SELECT COUNT(*) FROM audit_log WHERE action = ?", action).Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c > 0
}

func TestUnverifiedSender(t *testing.T) {
	ctx := t.Context()
	db, _ := newEmailDB(t)
	known, err := db.CreateTicket(ctx, store.NewTicket{Email: "anna@example.com", Name: "Anna", Subject: "Earlier", Body: "An earlier request."}, customerActor)
	if err != nil {
		t.Fatal(err)
	}
	e := inbound(db, 1, "Please change my delivery address.")
	e.Authenticated, e.Verdict = false, "DMARC fail for example.com (mx.example.com)"
	res, err := db.ImportEmail(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != store.EmailTicket || res.Acknowledge || res.CustomerID != known.CustomerID {
		t.Fatalf("got %+v: want a ticket of the claimed customer, never acknowledged", res)
	}
	tk, _ := db.GetTicket(ctx, res.TicketID)
	if !tk.SenderUnverified {
		t.Error("the ticket is not marked sender not verified")
	}
	own, err := db.ListTickets(ctx, store.TicketFilter{CustomerID: known.CustomerID, SenderVerified: true})
	if err != nil || len(own) != 1 || own[0].ID != known.ID {
		t.Errorf("the customer's own list: %+v, %v; want only their earlier ticket", own, err)
	}
	if _, err := db.GetCustomerTicket(ctx, known.CustomerID, res.TicketID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the customer's view of it: %v, want ErrNotFound", err)
	}
	if c, _ := db.GetCustomer(ctx, known.CustomerID); !c.VerifiedAt.IsZero() {
		t.Error("the customer became verified")
	}
	if changed, err := db.VerifyTicketSender(ctx, res.TicketID, editor); err != nil || !changed {
		t.Fatal(changed, err)
	}
	if _, err := db.GetCustomerTicket(ctx, known.CustomerID, res.TicketID); err != nil {
		t.Errorf("after a person verified the sender: %v", err)
	}
	if changed, err := db.VerifyTicketSender(ctx, res.TicketID, editor); err != nil || changed {
		t.Errorf("twice: %v, %v", changed, err)
	}
	if _, err := db.VerifyTicketSender(ctx, 999, editor); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing ticket: %v", err)
	}
}

func TestAutomaticMailLimits(t *testing.T) {
	ctx := t.Context()
	db, clk := newEmailDB(t)
	acks := 0
	for i := range 5 {
		res, err := db.ImportEmail(ctx, inbound(db, uint32(i+1), "Request "+rand.Text()))
		if err != nil {
			t.Fatal(err)
		}
		if res.Acknowledge {
			acks++
		}
	}
	if acks != store.AutoMailPerAddressHour {
		t.Errorf("%d acknowledgments to one address in an hour, want %d", acks, store.AutoMailPerAddressHour)
	}
	clk.Advance(time.Hour + time.Second)
	if res, err := db.ImportEmail(ctx, inbound(db, 9, "An hour later")); err != nil || !res.Acknowledge {
		t.Errorf("an hour later: %+v, %v", res, err)
	}
	e := inbound(db, 10, "Out of office")
	e.AutoReplyRefusal = "the message is automatic"
	quiet, err := db.ImportEmail(ctx, e)
	if err != nil || quiet.Acknowledge {
		t.Errorf("an automatic message: %+v, %v", quiet, err)
	}
	t.Run("per ticket per day", func(t *testing.T) {
		ticket := quiet.TicketID
		sent := 0
		for i := range 5 {
			clk.Advance(2 * time.Hour) // the hourly limit per address never binds
			ok, err := db.RecordSentEmail(ctx, store.SentEmail{TicketID: ticket, HeaderID: rand.Text() + "@x", Kind: "k", To: "a" + string(rune('a'+i)) + "@example.com", Automatic: true})
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				sent++
			}
		}
		if sent != store.AutoMailPerTicketDay {
			t.Errorf("%d automatic mails on one ticket in ten hours, want %d", sent, store.AutoMailPerTicketDay)
		}
	})
}

func TestBounceAndMailbox(t *testing.T) {
	ctx := t.Context()
	db, _ := newEmailDB(t)
	first, err := db.ImportEmail(ctx, inbound(db, 1, "First."))
	if err != nil {
		t.Fatal(err)
	}
	ours := rand.Text() + "@shop.example"
	if _, err := db.RecordSentEmail(ctx, store.SentEmail{TicketID: first.TicketID, HeaderID: ours, Kind: "reply", To: "anna@example.com"}); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte("bounce"))
	b := store.InboundBounce{MailPosition: store.MailPosition{Mailbox: testMailbox, UIDValidity: 7, UID: 2}, MessageID: "dsn@mx",
		ContentHash: h[:], Original: []string{"<" + ours + ">"}, Status: "5.1.1"}
	id, err := db.RecordBounce(ctx, b)
	if err != nil || id != first.TicketID {
		t.Fatalf("bounce: ticket %d, %v", id, err)
	}
	tk, _ := db.GetTicket(ctx, first.TicketID)
	if tk.DeliveryFailedAt.IsZero() || tk.DeliveryStatus != "5.1.1" {
		t.Errorf("ticket %+v: want delivery failed, 5.1.1", tk)
	}
	if msgs, _ := db.ListMessages(ctx, first.TicketID, true); len(msgs) != 1 {
		t.Errorf("%d messages: a bounce is no message", len(msgs))
	}
	b.UID = 3
	if id, err := db.RecordBounce(ctx, b); err != nil || id != 0 {
		t.Errorf("the same bounce again: %d, %v", id, err)
	}
	reply := inbound(db, 4, "I fixed my mailbox.")
	reply.ReplyTokens = []string{db.ReplyToken(first.TicketID)}
	if _, err := db.ImportEmail(ctx, reply); err != nil {
		t.Fatal(err)
	}
	if tk, _ := db.GetTicket(ctx, first.TicketID); !tk.DeliveryFailedAt.IsZero() {
		t.Error("the customer's mail arrived, yet the ticket is still marked delivery failed")
	}

	if err := db.RecordSkippedEmail(ctx, store.SkippedEmail{MailPosition: store.MailPosition{Mailbox: testMailbox, UIDValidity: 7, UID: 5},
		Outcome: store.EmailTooLarge, Size: 30 << 20, Reason: "over 25 MiB"}); err != nil {
		t.Fatal(err)
	}
	skipped, err := db.ListSkippedEmail(ctx, 10)
	if err != nil || len(skipped) != 2 || skipped[0].Outcome != store.EmailTooLarge || skipped[1].TicketID != first.TicketID {
		t.Errorf("skipped %+v, %v", skipped, err)
	}
	if mb, _ := db.GetMailbox(ctx, testMailbox); mb.LastUID != 5 {
		t.Errorf("position %d, want 5", mb.LastUID)
	}

	t.Run("a new UIDVALIDITY starts again from the first message", func(t *testing.T) {
		mb, round, err := db.OpenMailbox(ctx, testMailbox, 8, 0)
		if err != nil || round != store.RoundRenumbered || mb.LastUID != 0 || mb.UIDValidity != 8 || mb.FirstReadAt.IsZero() {
			t.Fatalf("got %+v, %v, %v", mb, round, err)
		}
		if _, round, _ := db.OpenMailbox(ctx, testMailbox, 8, 0); round != store.RoundNext {
			t.Errorf("the same UIDVALIDITY again: round %q", round)
		}
		if !hasAudit(t, db, "email.mailbox_renumbered") {
			t.Error("not audited")
		}
		if err := db.SkipTo(ctx, store.MailPosition{Mailbox: testMailbox, UIDValidity: 8, UID: 40}); err != nil {
			t.Fatal(err)
		}
		if _, round, _ := db.OpenMailbox(ctx, testMailbox, 8, 41); round != store.RoundNext {
			t.Errorf("UIDNEXT past the position: round %q", round)
		}
		if mb, round, _ := db.OpenMailbox(ctx, testMailbox, 8, 3); round != store.RoundRenumbered || mb.LastUID != 0 {
			t.Errorf("a server rebuilt with the same UIDVALIDITY (UIDNEXT 3, position 40): %+v, round %q", mb, round)
		}
	})
	t.Run("a failing mailbox alerts once and says when it recovers", func(t *testing.T) {
		var got []store.MailboxChange
		for _, failure := range []string{"login refused", "login refused", "", ""} {
			c, err := db.MailboxPolled(ctx, testMailbox, failure, false)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, c)
		}
		want := []store.MailboxChange{{FirstFailure: true, Alert: true}, {}, {Recovered: true}, {}}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("round %d: %+v, want %+v", i, got[i], want[i])
			}
		}
	})
}

// TestEmailAfterErasure: erasing a customer removes their email with them;
// the log keeps only keyed hashes, so the same message read again (a
// renumbered mailbox) is not imported again.
func TestEmailAfterErasure(t *testing.T) {
	ctx := t.Context()
	db, _ := newEmailDB(t)
	marker := "ErasedMarker" + rand.Text()
	e := inbound(db, 1, marker)
	res, err := db.ImportEmail(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	held := inbound(db, 2, marker+" held")
	held.ReplyTokens, held.Authenticated = []string{db.ReplyToken(res.TicketID)}, false
	if _, err := db.ImportEmail(ctx, held); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EraseCustomer(ctx, res.CustomerID, editor); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"email_messages", "email_quarantine", "email_sent"} {
		var c int
		if err := db.Writer().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&c); err != nil || c != 0 {
			t.Errorf("%s: %d rows, %v; want none", table, c, err)
		}
	}
	e.UID = 11
	if again, err := db.ImportEmail(ctx, e); err != nil || again.Outcome != store.EmailDuplicate {
		t.Errorf("the erased customer's mail read again: %+v, %v; want a duplicate", again, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(folderBytes(t, filepath.Dir(db.Path())), []byte(marker)) {
		t.Error("the erased mail is in the data folder")
	}
}
