package mail

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	netmail "net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"safedesk/store"
	"safedesk/store/storetest"
	"safedesk/web/mail/mailtest"
)

// inboxEnv is an Inbox over a real IMAP server, a real store and a real
// SMTP relay that keeps what it is sent.
type inboxEnv struct {
	imap   *mailtest.IMAPServer
	sent   chan *netmail.Message
	db     *store.DB
	inbox  *Inbox
	outbox *Outbox
	alerts int
}

// newInboxEnv makes an inboxEnv whose log goes to logs (nil: nowhere).
func newInboxEnv(t *testing.T, logs io.Writer, adjust func(*InboundOptions)) *inboxEnv {
	t.Helper()
	t.Setenv(PasswordEnv, mailtest.Password)
	dir, _ := storetest.DataFolder(t, 0)
	relay, sent := newCapturingRelay(t)
	env := &inboxEnv{imap: mailtest.NewIMAPServer(t), sent: sent, db: storetest.Open(t, dir)}
	if logs == nil {
		logs = io.Discard
	}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sender, err := New("smtp+insecure://"+relay, "Northwind <support@northwind.example>", log)
	if err != nil {
		t.Fatal(err)
	}
	env.outbox = NewOutbox(sender, log)
	t.Cleanup(env.outbox.Wait)
	opts := DefaultInboundOptions()
	opts.IMAP, opts.AuthservID = env.imap.URL(), "mx.google.com"
	if adjust != nil {
		adjust(&opts)
	}
	if err := opts.Validate("Northwind <support@northwind.example>"); err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://help.northwind.example")
	threads := NewThreads(env.db, env.outbox, Site{Product: "Northwind", BaseURL: base}, opts.Support())
	env.inbox, err = NewInbox(opts, InboxDeps{DB: env.db, Threads: threads, Log: log, Alert: func() { env.alerts++ }})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// next waits for the next mail sent.
func (e *inboxEnv) next(t *testing.T) *netmail.Message {
	t.Helper()
	select {
	case m := <-e.sent:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no mail was sent")
		return nil
	}
}

// noMail reports whether no mail was sent (after the outbox's Wait).
func (e *inboxEnv) noMail() bool {
	e.outbox.Wait()
	return len(e.sent) == 0
}

func (e *inboxEnv) poll(t *testing.T) {
	t.Helper()
	if err := e.inbox.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func (e *inboxEnv) tickets(t *testing.T) []store.Ticket {
	t.Helper()
	ts, err := e.db.ListTickets(t.Context(), store.TicketFilter{AllCustomers: true})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestInboxImports(t *testing.T) {
	env := newInboxEnv(t, nil, nil)
	uid := env.imap.Deliver(t, mailtest.Fixture(t, "gmail-new.eml"))
	env.poll(t)

	ts := env.tickets(t)
	if len(ts) != 1 || ts[0].Channel != store.ChannelEmail || !ts[0].Confirmed || ts[0].Subject != "Grinder arrived cracked – order 10234" {
		t.Fatalf("tickets %+v: want one email ticket from a verified sender", ts)
	}
	if !env.imap.Seen(t, uid) || env.imap.Count(t) != 1 {
		t.Error("the message is not marked \\Seen, or not kept in the mailbox")
	}
	ack := env.next(t)
	h := ack.Header
	ackBody, _ := io.ReadAll(ack.Body)
	if h.Get("To") != "<anna.berg@example.com>" || h.Get("Auto-Submitted") != "auto-replied" ||
		h.Get("In-Reply-To") != "<CAM8k2x3Hq=gm7F0pE1rWm0Yq+4b-gmail-new@mail.gmail.com>" ||
		!strings.HasPrefix(h.Get("Reply-To"), "<support+"+fmt.Sprint(ts[0].ID)+"-") || !strings.Contains(h.Get("Subject"), fmt.Sprintf("[#%d]", ts[0].ID)) {
		t.Errorf("acknowledgment with %v", h)
	}
	if strings.Contains(string(ackBody), "cracked hopper") || !strings.Contains(string(ackBody), "request #") {
		t.Error("the acknowledgment repeats the request's text")
	}
	if id := h.Get("Message-Id"); id == "" || strings.Contains(h.Get("References"), id) {
		t.Errorf("Message-ID %q, References %q: want one of ours, not referring to itself", id, h.Get("References"))
	}

	t.Run("the same message delivered again makes nothing new", func(t *testing.T) {
		env.imap.Deliver(t, mailtest.Fixture(t, "gmail-new.eml"))
		env.poll(t)
		if n := len(env.tickets(t)); n != 1 {
			t.Errorf("%d tickets", n)
		}
		if !env.noMail() {
			t.Error("a second acknowledgment was sent")
		}
	})
	t.Run("a renumbered mailbox is read again without duplicates, read messages too", func(t *testing.T) {
		env.imap.Renumber(t, mailtest.Fixture(t, "gmail-new.eml"), mailtest.Fixture(t, "attachments.eml"))
		env.imap.DeliverRead(t, mailtest.Fixture(t, "html-only-script.eml")) // arrived while the server was moved; read in webmail
		env.poll(t)
		ts := env.tickets(t)
		if len(ts) != 3 || ts[1].Subject != "Photos of the damage" || ts[0].Subject != "Question about a wholesale order" {
			t.Errorf("tickets %+v: want the two new messages only", ts)
		}
	})
	mb, err := env.inbox.Status(t.Context())
	if err != nil || mb.LastUID != 3 || mb.OKAt.IsZero() || mb.Error != "" || mb.UIDValidity == 0 {
		t.Errorf("status %+v, %v", mb, err)
	}
}

// TestInboxFirstRound: a mailbox read for the first time brings in what
// nobody has read, not years of read mail; after that, every new message
// counts, read or not (someone may read it in webmail first).
func TestInboxFirstRound(t *testing.T) {
	env := newInboxEnv(t, nil, nil)
	env.imap.DeliverRead(t, mailtest.Fixture(t, "attachments.eml"))
	env.imap.Deliver(t, mailtest.Fixture(t, "gmail-new.eml"))
	env.poll(t)
	if ts := env.tickets(t); len(ts) != 1 || ts[0].Subject == "Photos of the damage" {
		t.Fatalf("tickets %+v: want only the unread message", ts)
	}
	env.imap.DeliverRead(t, mailtest.Fixture(t, "html-only-script.eml"))
	env.poll(t)
	if ts := env.tickets(t); len(ts) != 2 || ts[0].Subject != "Question about a wholesale order" {
		t.Errorf("tickets %+v: a new message read in webmail first is imported too", ts)
	}
	if mb, _ := env.inbox.Status(t.Context()); mb.LastUID != 3 {
		t.Errorf("position %d, want 3", mb.LastUID)
	}
}

func TestInboxThreadsAndRefuses(t *testing.T) {
	env := newInboxEnv(t, nil, nil)
	env.imap.Deliver(t, mailtest.Fixture(t, "gmail-new.eml"))
	env.poll(t)
	ticket := env.tickets(t)[0]
	ack := env.next(t)
	ourID := NormalizeID(ack.Header.Get("Message-Id"))
	token := env.db.ReplyToken(ticket.ID)
	fixture := func(name string) []byte {
		return mailtest.Fixture(t, name, "TOKEN", token, "OURID", ourID, "ID", fmt.Sprint(ticket.ID))
	}
	for _, tt := range []struct {
		file        string
		wantMsgs    int // messages on the ticket afterwards
		wantHeld    int // pending in the quarantine afterwards
		wantTickets int
	}{
		{"gmail-reply.eml", 2, 0, 1},
		{"apple-reply.eml", 3, 0, 1},
		{"out-of-office.eml", 4, 0, 1},
		{"forged-dmarc-fail.eml", 4, 1, 1},
		{"forged-pass-below.eml", 4, 2, 1},
		{"no-auth-results.eml", 4, 3, 1},
		{"dsn-bounce.eml", 4, 3, 1},
	} {
		t.Run(tt.file, func(t *testing.T) {
			env.imap.Deliver(t, fixture(tt.file))
			env.poll(t)
			msgs, err := env.db.ListMessages(t.Context(), ticket.ID, true)
			if err != nil || len(msgs) != tt.wantMsgs {
				t.Errorf("%d messages, %v; want %d", len(msgs), err, tt.wantMsgs)
			}
			if n, _ := env.db.CountQuarantine(t.Context()); n != tt.wantHeld {
				t.Errorf("%d quarantined, want %d", n, tt.wantHeld)
			}
			if n := len(env.tickets(t)); n != tt.wantTickets {
				t.Errorf("%d tickets, want %d", n, tt.wantTickets)
			}
		})
	}
	tk, _ := env.db.GetTicket(t.Context(), ticket.ID)
	if tk.DeliveryStatus != "5.1.1" {
		t.Errorf("ticket %+v: want the bounce marked", tk)
	}
	msgs, _ := env.db.ListMessages(t.Context(), ticket.ID, true)
	if !strings.Contains(msgs[1].Body, "Kastanienallee 12") || strings.Contains(msgs[1].Body, "wrote:") || !strings.Contains(msgs[2].Body, "not at home") {
		t.Errorf("bodies %q / %q", msgs[1].Body, msgs[2].Body)
	}
	if !env.noMail() {
		t.Error("a reply, an auto-reply, a forgery or a bounce was answered automatically")
	}

	t.Run("forged mail as a new thread is a ticket marked sender not verified", func(t *testing.T) {
		raw := fixture("forged-dmarc-fail.eml")
		raw = bytes.Replace(raw, []byte("support+"+token+"@"), []byte("support@"), 1)
		raw = bytes.Replace(raw, []byte("In-Reply-To: <"+ourID+">\r\n"), nil, 1)
		raw = bytes.Replace(raw, []byte("forged-fail-1"), []byte("forged-new-9"), 1)
		env.imap.Deliver(t, raw)
		env.poll(t)
		ts := env.tickets(t)
		if len(ts) != 2 || ts[0].Confirmed || ts[0].CustomerID != ticket.CustomerID {
			t.Fatalf("tickets %+v", ts)
		}
		details, _ := env.db.EmailDetails(t.Context(), ts[0].ID)
		for _, d := range details {
			if d.Authenticated || !strings.Contains(d.Verdict, "DMARC fail for example.com") {
				t.Errorf("verdict %+v", d)
			}
		}
		if !env.noMail() {
			t.Error("an unauthenticated sender was acknowledged (backscatter)")
		}
	})
	t.Run("an out-of-office reply that finds no ticket opens none", func(t *testing.T) {
		raw := mailtest.Fixture(t, "out-of-office.eml", "TOKEN", "1-aaaaaaaaaaaaaaaa", "OURID", "unknown@elsewhere.example", "ID", "1")
		raw = bytes.Replace(raw, []byte("ooo-5678"), []byte("ooo-9999"), 1)
		env.imap.Deliver(t, raw)
		env.poll(t)
		if n := len(env.tickets(t)); n != 2 {
			t.Errorf("%d tickets, want 2", n)
		}
	})
}

func TestInboxTooLarge(t *testing.T) {
	env := newInboxEnv(t, nil, nil)
	// 30 MiB: a text and a large attachment, as a phone's video comes.
	var b bytes.Buffer
	b.WriteString("From: Anna <anna.berg@example.com>\r\nTo: support@northwind.example\r\nSubject: Video of the noise\r\nMessage-ID: <big@example.com>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nHear this.\r\n--x\r\n" +
		"Content-Type: video/mp4\r\nContent-Disposition: attachment; filename=noise.mp4\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	line := strings.Repeat("QUJD", 19) + "\r\n"
	for b.Len() < 30<<20 {
		b.WriteString(line)
	}
	b.WriteString("--x--\r\n")
	big := env.imap.Deliver(t, b.Bytes())
	small := env.imap.Deliver(t, mailtest.Fixture(t, "gmail-new.eml"))
	env.poll(t)
	if ts := env.tickets(t); len(ts) != 1 || ts[0].Subject == "Video of the noise" {
		t.Errorf("tickets %+v: want only the small message imported", ts)
	}
	skipped, err := env.db.ListSkippedEmail(t.Context(), 10)
	if err != nil || len(skipped) != 1 || skipped[0].Outcome != store.EmailTooLarge || skipped[0].UID != big || skipped[0].Size < 30<<20 {
		t.Errorf("skipped %+v, %v", skipped, err)
	}
	if env.alerts != 1 {
		t.Errorf("%d alerts, want one", env.alerts)
	}
	if !env.imap.Seen(t, small) || !env.imap.Seen(t, big) || env.imap.Count(t) != 2 {
		t.Error("want both marked \\Seen and both still in the mailbox")
	}
}
