// Package mail is safedesk's mail, out and in. Out: one plain-text Message
// at a time, through an SMTP relay (Sender, configured by the --smtp URL)
// or, with no relay configured, into the server log for development;
// Outbox sends in the background so that a slow relay never holds a
// request; Threads gives mail about a ticket its Message-ID, In-Reply-To,
// References and a Reply-To that leads answers back to the ticket. In:
// Inbox reads the support mailbox over IMAP (--imap), ParseMessage turns
// each message into plain text, and the store files it (see Inbox).
//
// A failed send never reveals what was being sent: the error names the
// kind of mail and the relay's SMTP status, not the recipient, the subject
// (a code mail carries the code there) or the text.
package mail

import (
	"context"
	"log/slog"

	"safedesk/security"
)

// Message is one plain-text email.
type Message struct {
	// Kind names the sort of mail for logs and errors ("code",
	// "ticket_received", "security_alert"…); it never holds content.
	Kind    string
	To      string
	Subject string
	Text    string

	// Threading, on mail about a ticket (Threads): our Message-ID, the
	// Message-IDs it answers (without angle brackets), the address replies
	// go to, and Auto-Submitted on mail sent on our own (RFC 3834).
	MessageID     string
	InReplyTo     string
	References    []string
	ReplyTo       string
	AutoSubmitted string
}

// Sender sends mail through an SMTP relay, or, when none is configured,
// writes it to the log (development only: the text is logged so that a
// developer can read a code).
type Sender struct {
	relay *relay // nil: development mode
	log   *slog.Logger
}

// New returns a Sender for an smtp://, smtps:// or smtp+insecure:// URL,
// or one that writes mail to log when rawURL is empty.
//
//	smtp://user:pass@host:587         STARTTLS required
//	smtps://user:pass@host:465        implicit TLS
//	smtp+insecure://127.0.0.1:2525    no TLS (loopback testing only)
//
// The error for a malformed URL never repeats its user name or password.
// The command line keeps the password out of the URL it shows
// (Credentials.WithPassword).
func New(rawURL, from string, log *slog.Logger) (*Sender, error) {
	if rawURL == "" {
		return &Sender{log: log}, nil
	}
	r, err := newRelay(rawURL, from)
	if err != nil {
		return nil, err
	}
	return &Sender{relay: r, log: log}, nil
}

// Send delivers m to the canonical form of its address
// (security.CanonicalEmail), the one the blind index compares, so that no
// mail goes to another mailbox than the one an address was checked for.
// A failure is an *Error, which is safe to log.
func (s *Sender) Send(ctx context.Context, m Message) error {
	to, err := security.CanonicalEmail(m.To)
	if err != nil {
		return &Error{Kind: m.Kind, Step: "recipient address"}
	}
	m.To = to
	if s.relay == nil {
		s.log.WarnContext(ctx, "DEVELOPMENT MODE: no --smtp configured, mail written to the log instead of sent",
			"kind", m.Kind, "to", security.MaskEmail(m.To), "subject", m.Subject, "text", m.Text, "reply_to", m.ReplyTo)
		return nil
	}
	return s.relay.send(ctx, m)
}

// Describe names the relay without credentials (smtp://host:port) for the
// privacy page and the doctor; "" in development mode.
func (s *Sender) Describe() string {
	if s.relay == nil {
		return ""
	}
	return s.relay.display
}
