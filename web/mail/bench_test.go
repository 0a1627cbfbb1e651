package mail

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"safedesk/store"
	"safedesk/store/storetest"
)

// BenchmarkImport imports typical messages the way a round does, without
// the network: parse (multipart/alternative, quoted history), authenticate
// (Authentication-Results), thread (every other message is a reply by its
// reply token), seal and store, each in its own transaction with its audit
// entry and the mailbox position. Acknowledgments are recorded but not
// sent. Run it over 1,000 messages:
//
//	go test ./web/mail -run '^$' -bench Import -benchtime 1000x
func BenchmarkImport(b *testing.B) {
	dir, _ := storetest.DataFolder(b, 0)
	db := storetest.Open(b, dir)
	opts := DefaultInboundOptions()
	opts.IMAP, opts.AuthservID = "imap+insecure://support@127.0.0.1/INBOX", "mx.google.com"
	b.Setenv(PasswordEnv, "x")
	if err := opts.Validate("support@northwind.example"); err != nil {
		b.Fatal(err)
	}
	base, _ := url.Parse("https://help.northwind.example")
	threads := NewThreads(db, discardQueue{}, Site{Product: "Northwind", BaseURL: base}, opts.Support())
	in, err := NewInbox(opts, InboxDeps{DB: db, Threads: threads, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	if _, _, err := db.OpenMailbox(ctx, in.Mailbox(), 1, 0); err != nil {
		b.Fatal(err)
	}
	var tickets []int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		token := ""
		if i%2 == 1 && len(tickets) > 0 {
			token = db.ReplyToken(tickets[len(tickets)-1])
		}
		raw := typicalMail(i, token)
		if err := in.Import(ctx, store.MailPosition{Mailbox: in.Mailbox(), UIDValidity: 1, UID: uint32(i + 1)}, raw); err != nil {
			b.Fatal(err)
		}
		if i%2 == 0 {
			b.StopTimer()
			ts, err := db.ListTickets(ctx, store.TicketFilter{AllCustomers: true, Limit: 1})
			if err != nil {
				b.Fatal(err)
			}
			tickets = append(tickets, ts[0].ID)
			b.StartTimer()
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if n, err := db.CountQuarantine(ctx); err != nil || n != 0 {
		b.Fatalf("%d replies quarantined (%v): the benchmark's replies should thread", n, err)
	}
}

type discardQueue struct{}

func (discardQueue) Send(Message) {}

// typicalMail is a Gmail-style message of about 4 KB from one of 50
// customers: text and HTML versions, a quoted history when it replies.
func typicalMail(i int, token string) []byte {
	c := (i / 2) % 50 // a reply comes from the customer of the ticket before it
	to := "support@northwind.example"
	if token != "" {
		to = "support+" + token + "@northwind.example"
	}
	text := fmt.Sprintf("Hello,\n\nmy order %d arrived with a cracked hopper. Could you send a replacement part?\n"+
		"It is the G2 grinder, bought in March.\n\nThanks,\nCustomer %d\n", 10000+i, c)
	if token != "" {
		text += "\nOn Mon, 7 Dec 2026 at 15:40, Northwind <support@northwind.example> wrote:\n" +
			strings.Repeat("> We are sorry to hear about the hopper. Could you tell us the order number?\n", 20)
	}
	html := "<div dir=\"ltr\">" + strings.ReplaceAll(text, "\n", "<br>") + "</div>"
	return []byte(fmt.Sprintf("Return-Path: <c%d@example.com>\r\n"+
		"Authentication-Results: mx.google.com;\r\n dkim=pass header.i=@example.com header.s=g;\r\n spf=pass smtp.mailfrom=c%d@example.com;\r\n dmarc=pass (p=NONE) header.from=example.com\r\n"+
		"From: Customer %d <c%d@example.com>\r\nTo: %s\r\nSubject: Order %d arrived damaged\r\nMessage-ID: <bench-%d@mail.example.com>\r\n"+
		"Date: Mon, 7 Dec 2026 11:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"+
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n%s\r\n--b--\r\n",
		c, c, c, c, to, 10000+i, i, strings.ReplaceAll(text, "\n", "\r\n"), html))
}
