package templates

import (
	"context"
	"fmt"
	"strings"
	"time"

	"safedesk/store"
)

// EmailView is what a ticket's page shows of the email channel: each
// emailed message's details, the replies held in quarantine, and why the
// sender of an email ticket is or is not verified. Addresses are masked
// unless the viewer may reveal personal data.
type EmailView struct {
	Details   map[int64]store.EmailDetail // by message id
	Held      []store.QuarantinedEmail    // this ticket's pending replies
	Verdict   string                      // the first message's
	CanEdit   bool
	CanReveal bool // may open a message's headers
}

// AdminEmailProps is the email page: the replies held in quarantine, the
// mailbox's status, and the mail that became no ticket.
type AdminEmailProps struct {
	AdminPage
	Mailbox MailboxStatus
	Held    []store.QuarantinedEmail
	Skipped []store.SkippedEmailEntry
	CanEdit bool
}

// AdminEmailHeadersProps shows the header section of one emailed message.
type AdminEmailHeadersProps struct {
	AdminPage
	TicketID int64
	Headers  string
}

// MailboxStatus is how reading the support mailbox goes, for the settings
// and email pages.
type MailboxStatus struct {
	Configured bool   // a mailbox is read (--imap)
	Mailbox    string // imaps://support@host:993/INBOX
	Support    string // the support address
	Trust      string // the --mail-authserv-id setting
	Interval   time.Duration
	State      store.Mailbox
	Polled     bool // at least one round ran
}

// Health is the mailbox's state in a few words.
func (m MailboxStatus) Health(ctx context.Context) string {
	switch {
	case !m.Configured:
		return "no mailbox is read (--imap is not set)"
	case !m.Polled:
		return "not read yet"
	case !m.State.FailingSince.IsZero():
		return "failing since " + dateTime(ctx, m.State.FailingSince) + ": " + m.State.Error
	}
	return "working"
}

// Reading says how new mail is noticed.
func (m MailboxStatus) Reading() string {
	if m.State.Idle {
		return fmt.Sprintf("at once (IDLE), and every %s", Duration(m.Interval))
	}
	return "every " + Duration(m.Interval)
}

// TrustText explains the --mail-authserv-id setting.
func (m MailboxStatus) TrustText() string {
	switch {
	case m.Trust == "":
		return "none: no sender is ever authenticated (set --mail-authserv-id)"
	case strings.HasPrefix(m.Trust, "position:"):
		return "the Authentication-Results header at " + m.Trust + " from the top (Microsoft 365)"
	}
	return "the topmost Authentication-Results header of " + m.Trust
}

// QuarantineReason says why a reply is held.
func QuarantineReason(q store.QuarantinedEmail) string { return store.QuarantineReasonText(q.Reason) }

// SkippedOutcome names what became of a message that made no ticket.
func SkippedOutcome(e store.SkippedEmailEntry) string {
	switch e.Outcome {
	case store.EmailTooLarge:
		return "too large: not imported, read it in the mailbox"
	case store.EmailUnreadable:
		return "unreadable: not imported, read it in the mailbox"
	case store.EmailBounce:
		if e.TicketID != 0 {
			return "a bounce of our mail on a ticket"
		}
		return "a bounce about no mail of ours"
	}
	return e.Outcome
}

// HeldFiles names the files held with a reply for people.
func HeldFiles(files []store.Attachment) string {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name + " (" + store.FormatSize(f.Size) + ")"
	}
	return strings.Join(names, ", ")
}
