package mail

import (
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"

	"safedesk/templates/i18n"
)

// Site is what mail says about its sender: the product's name and the
// base URL that links point under. Brand, when set, holds the name and
// website the owner set in the panel, which win over Product; copies of a
// Site share it.
type Site struct {
	Product string
	BaseURL *url.URL
	Brand   *Brand
}

// Brand is the business's name and website as the panel's settings last
// set them; safe for concurrent use.
type Brand struct{ v atomic.Pointer[brandValue] }

type brandValue struct{ name, site string }

// Set records the business's name ("" for Site.Product) and website ("" for
// none).
func (b *Brand) Set(name, site string) { b.v.Store(&brandValue{name, site}) }

// Name is the business's name: the panel's, else Product.
func (s Site) Name() string {
	if s.Brand != nil {
		if v := s.Brand.v.Load(); v != nil && v.name != "" {
			return v.name
		}
	}
	return s.Product
}

// Signature closes a customer's mail: the business's name and, when set,
// its website.
func (s Site) Signature() string {
	sig := s.Name() + " support\n"
	if s.Brand != nil {
		if v := s.Brand.v.Load(); v != nil && v.site != "" {
			sig += v.site + "\n"
		}
	}
	return sig
}

// EndSentence ends s with a full stop unless it ends with one already, so
// that "Nordic Brew Co." never becomes "Nordic Brew Co..".
func EndSentence(s string) string {
	if strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

// Link is the absolute URL of path under the base URL.
func (s Site) Link(path string) string {
	u := *s.BaseURL
	u.Path = path
	return u.String()
}

// letter builds a customer mail's text in l's language: the greeting, the
// paragraphs, and the signature.
func (s Site) letter(l i18n.Locale, paragraphs ...string) string {
	var b strings.Builder
	b.WriteString(l.T(i18n.MailHello) + "\n\n")
	for _, p := range paragraphs {
		if p != "" {
			b.WriteString(p + "\n\n")
		}
	}
	b.WriteString(s.signature(l))
	return b.String()
}

// signature closes a customer's mail in l's language: the business's
// name and, when set, its website (Signature in English).
func (s Site) signature(l i18n.Locale) string {
	sig := l.T(i18n.MailSignature, s.Name()) + "\n"
	if s.Brand != nil {
		if v := s.Brand.v.Load(); v != nil && v.site != "" {
			sig += v.site + "\n"
		}
	}
	return sig
}

// TicketReceived confirms request id to the address it came from, in l's
// language: with a one-time code to follow it when code is set (an
// unverified visitor), else with a link to the customer's tickets.
func (s Site) TicketReceived(l i18n.Locale, to string, id int64, code string) Message {
	follow := l.T(i18n.ReceivedFollow, s.Link("/tickets"))
	if code != "" {
		follow = l.T(i18n.ReceivedCode, s.Link("/verify")) + "\n\n    " + code + "\n\n" + l.T(i18n.ReceivedCodeValid)
	}
	text := s.letter(l, l.T(i18n.ReceivedIntro, id), follow, l.T(i18n.ReceivedIgnore))
	return Message{Kind: "ticket_received", To: to, Subject: l.T(i18n.ReceivedSubject, s.Name(), id), Text: text}
}

// Code is the mail with a one-time code, in l's language; inChat says to
// type it in the chat first, before the link to /verify.
func (s Site) Code(l i18n.Locale, to, code string, inChat bool) Message {
	enter := i18n.CodeEnterPortal
	if inChat {
		enter = i18n.CodeEnterChat
	}
	text := s.letter(l, l.T(i18n.CodeIntro)+"\n\n    "+code, l.T(enter, s.Link("/verify")),
		l.T(i18n.CodeNeverShare)+"\n"+l.T(i18n.CodeIgnore))
	return Message{Kind: "code", To: to, Subject: l.T(i18n.CodeSubject, s.Name(), code), Text: text}
}

// ReplyNotice tells the customer, in l's language, that request id has a
// reply at link: with its text when reply is set (--notify-text), and the
// number of its files, never the files.
func (s Site) ReplyNotice(l i18n.Locale, to string, id int64, link, reply string, files int) Message {
	if reply != "" {
		reply = l.T(i18n.ReplyOurReply) + "\n\n" + reply
	}
	count := ""
	if files > 0 {
		count = l.N(i18n.ReplyFilesCount, files)
	}
	text := s.letter(l, l.T(i18n.ReplyIntro, id), reply, count,
		l.T(i18n.ReplyReadAt, link)+"\n"+l.T(i18n.MailConfirmNote)+".", l.T(i18n.MailNeverAsk))
	return Message{Kind: "reply", To: to, Subject: l.T(i18n.ReplySubject, s.Name(), id), Text: text}
}

// staffReply is the text of a staff reply mailed on an email ticket: the
// reply, its files' names, and how to answer.
func (s Site) staffReply(l i18n.Locale, id int64, body string, files []string) string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(body) + "\n\n")
	if len(files) > 0 {
		b.WriteString(l.T(i18n.StaffReplyFiles, strings.Join(files, ", ")) + "\n\n")
	}
	fmt.Fprintf(&b, "-- \n%s\n%s.\n%s\n%s", l.T(i18n.StaffReplyFooter, id, s.Link(fmt.Sprintf("/tickets/%d", id))),
		l.T(i18n.MailConfirmNote), l.T(i18n.MailNeverAsk), s.signature(l))
	return b.String()
}

// acknowledgment is the text of the automatic reply to a new email
// ticket: no text of the request.
func (s Site) acknowledgment(l i18n.Locale, id int64) string {
	return s.letter(l, l.T(i18n.AckIntro, EndSentence(s.Name()), id),
		l.T(i18n.AckAdd)+"\n"+l.T(i18n.AckFollow, s.Link("/tickets"))+" "+l.T(i18n.MailConfirmNote)+".",
		l.T(i18n.AckAutomatic)+" "+l.T(i18n.MailNeverAsk))
}
