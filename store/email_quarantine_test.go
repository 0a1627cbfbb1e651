package store_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"safedesk/store"
)

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
	known, err := db.CreateTicket(ctx, store.NewTicket{Email: "anna@example.com", Name: "Anna", Subject: "Earlier", Body: "An earlier request."}, store.SystemActor)
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
	// No mail at all goes to whoever a forger named: no acknowledgment, no
	// code (the anonymous mail of store.CodesPerHour stays theirs).
	var codes int
	if err := db.Writer().QueryRowContext(ctx, "SELECT COUNT(*) FROM verification_codes").Scan(&codes); err != nil || codes != 0 {
		t.Errorf("%d codes issued, %v", codes, err)
	}
	tk, _ := db.GetTicket(ctx, res.TicketID)
	if tk.Confirmed {
		t.Error("the ticket is confirmed, want unconfirmed (sender not verified)")
	}
	own, err := db.ListTickets(ctx, store.TicketFilter{CustomerID: known.CustomerID, Confirmed: true})
	if err != nil || len(own) != 1 || own[0].ID != known.ID {
		t.Errorf("the customer's own list: %+v, %v; want only their earlier ticket", own, err)
	}
	if _, err := db.GetCustomerTicket(ctx, known.CustomerID, res.TicketID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the customer's view of it: %v, want ErrNotFound", err)
	}
	if c, _ := db.GetCustomer(ctx, known.CustomerID); !c.VerifiedAt.IsZero() {
		t.Error("the customer became verified")
	}
	if changed, err := db.ConfirmTicket(ctx, res.TicketID, editor); err != nil || !changed {
		t.Fatal(changed, err)
	}
	if _, err := db.GetCustomerTicket(ctx, known.CustomerID, res.TicketID); err != nil {
		t.Errorf("after a person confirmed the sender: %v", err)
	}
	if changed, err := db.ConfirmTicket(ctx, res.TicketID, editor); err != nil || changed {
		t.Errorf("twice: %v, %v", changed, err)
	}
	if _, err := db.ConfirmTicket(ctx, 999, editor); !errors.Is(err, store.ErrNotFound) {
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
	// Acknowledgments go to senders that were authenticated: they are not
	// the anonymous mail that store.CodesPerHour caps, and take none of
	// the address's codes.
	for i := range store.CodesPerHour {
		if _, err := db.IssueCode(ctx, store.CodeRequest{Email: "anna@example.com"}, customerActor); err != nil {
			t.Fatalf("code %d after the acknowledgments: %v", i+1, err)
		}
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

// TestEmailAfterErasure: erasing a customer removes their email with them,
// the files of a held reply too;
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
	held := withFile(t, db, inbound(db, 2, marker+" held"), "held.txt", marker+" in a held file")
	held.ReplyTokens, held.Authenticated = []string{db.ReplyToken(res.TicketID)}, false
	if _, err := db.ImportEmail(ctx, held); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EraseCustomer(ctx, res.CustomerID, editor); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"email_messages", "email_quarantine", "email_sent", "attachments", "attachment_chunks"} {
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
