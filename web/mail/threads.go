package mail

import (
	"context"
	"crypto/rand"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"safedesk/store"
	"safedesk/templates/i18n"
)

// Queue sends mail without holding the caller: *Outbox.
type Queue interface {
	Send(m Message)
}

// Threads writes the mail about tickets so that it threads both ways: each
// carries our own Message-ID, recorded before it is sent, the customer's
// thread in In-Reply-To and References, and a Reply-To with the ticket's
// reply token (support+TOKEN@example.com), so that an answer finds its
// ticket whatever its subject says.
type Threads struct {
	db      *store.DB
	out     Queue
	site    Site
	support string
}

// NewThreads returns the Threads of support, the address customers write
// to (support@example.com), sending through out.
func NewThreads(db *store.DB, out Queue, site Site, support string) *Threads {
	return &Threads{db: db, out: out, site: site, support: support}
}

// Support is the support address.
func (t *Threads) Support() string { return t.support }

// ReplyAddress is where replies about a ticket go: the support address
// with the ticket's reply token, support+42-k3j5…@example.com; "" without
// a support address (development).
func (t *Threads) ReplyAddress(ticketID int64) string {
	local, domain, ok := strings.Cut(t.support, "@")
	if !ok {
		return ""
	}
	return local + "+" + t.db.ReplyToken(ticketID) + "@" + domain
}

// NewMessageID makes a Message-ID of ours (without angle brackets): random,
// at the support address's domain (the site's without one); it says
// nothing about the ticket.
func (t *Threads) NewMessageID() string {
	_, domain, ok := strings.Cut(t.support, "@")
	if !ok {
		domain = t.site.BaseURL.Hostname()
	}
	return strings.ToLower(rand.Text()) + "@" + domain
}

// Thread fills in m's threading headers for ticket ticketID and records
// its Message-ID (store.RecordSentEmail), before m is sent. Automatic mail
// that the limits hold back comes back with ok false: do not send it.
func (t *Threads) Thread(ctx context.Context, ticketID int64, m Message, automatic bool) (Message, bool, error) {
	th, err := t.db.GetEmailThread(ctx, ticketID)
	if err != nil {
		return Message{}, false, err
	}
	if m.MessageID == "" {
		m.MessageID = t.NewMessageID()
		ok, err := t.db.RecordSentEmail(ctx, store.SentEmail{TicketID: ticketID, HeaderID: m.MessageID, Kind: m.Kind, To: m.To, Automatic: automatic})
		if err != nil || !ok {
			return Message{}, false, err
		}
	}
	// The thread may hold this very mail already (an acknowledgment is
	// recorded with its import): it answers what came before it.
	th.References = slices.DeleteFunc(th.References, func(id string) bool { return id == m.MessageID })
	if th.InReplyTo == m.MessageID && len(th.References) > 0 {
		th.InReplyTo = th.References[len(th.References)-1]
	}
	m.InReplyTo, m.References, m.ReplyTo = th.InReplyTo, th.References, t.ReplyAddress(ticketID)
	if automatic {
		m.AutoSubmitted = "auto-replied"
	}
	return m, true, nil
}

// SendStaffReply mails a staff reply on an email ticket to the customer,
// in the ticket's language: its text, the names of its files (never the
// files: they wait in the help centre), threaded as an answer to the
// customer's newest mail.
func (t *Threads) SendStaffReply(ctx context.Context, tk store.Ticket, to, body string, files []string) error {
	l, err := t.locale(ctx, tk)
	if err != nil {
		return err
	}
	m, _, err := t.Thread(ctx, tk.ID, Message{Kind: "reply", To: to, Subject: ReplySubject(tk.Subject, tk.ID), Text: t.site.staffReply(l, tk.ID, body, files)}, false)
	if err != nil {
		return err
	}
	t.out.Send(m)
	return nil
}

// SendAcknowledgment confirms a new email ticket to its sender, once:
// ImportEmail recorded messageID (and counted it against the limits of
// automatic mail) in the import's transaction. It is an automatic reply
// (Auto-Submitted: auto-replied), in the ticket's language, and holds no
// text of the request.
func (t *Threads) SendAcknowledgment(ctx context.Context, tk store.Ticket, to, messageID string) error {
	l, err := t.locale(ctx, tk)
	if err != nil {
		return err
	}
	m, ok, err := t.Thread(ctx, tk.ID, Message{Kind: "acknowledgment", To: to, Subject: ReplySubject(tk.Subject, tk.ID),
		Text: t.site.acknowledgment(l, tk.ID), MessageID: messageID}, true)
	if err != nil || !ok {
		return err
	}
	t.out.Send(m)
	return nil
}

// locale is the language mail about tk speaks: the ticket's, else the
// site's (store.KBLanguage).
func (t *Threads) locale(ctx context.Context, tk store.Ticket) (i18n.Locale, error) {
	if tk.Lang != "" {
		return i18n.New(tk.Lang, nil), nil
	}
	lang, err := t.db.KBLanguage(ctx)
	return i18n.New(lang, nil), err
}

// replyPrefix matches the reply prefixes of common mail programs.
var replyPrefix = regexp.MustCompile(`(?i)^\s*(re|aw|sv|vs|antw|odp|r)\s*:\s*`)

// ReplySubject is the subject of our mail on a ticket: "Re: " and the
// ticket's subject, with the ticket's number for people to quote ("[#42]",
// which threading never trusts).
func ReplySubject(subject string, id int64) string {
	tag := fmt.Sprintf("[#%d]", id)
	s := strings.TrimSpace(strings.ReplaceAll(subject, tag, ""))
	for replyPrefix.MatchString(s) {
		s = replyPrefix.ReplaceAllString(s, "")
	}
	return "Re: " + strings.TrimSpace(s) + " " + tag
}

// ReplyTokens returns the reply tokens in recipients: the part after the
// + of any plus address of the support address.
func ReplyTokens(recipients []string, support string) []string {
	local, domain, ok := strings.Cut(strings.ToLower(support), "@")
	if !ok {
		return nil
	}
	var out []string
	for _, r := range recipients {
		rl, rd, ok := strings.Cut(strings.ToLower(strings.TrimSpace(r)), "@")
		if !ok || rd != domain {
			continue
		}
		if tok, ok := strings.CutPrefix(rl, local+"+"); ok && tok != "" {
			out = append(out, tok)
		}
	}
	return out
}
