package web

import (
	"context"
	"fmt"
	"strings"
	"time"

	"safedesk/web/mail"
)

// mailboxCheckLimit bounds doctor's login to the mailbox.
const mailboxCheckLimit = 20 * time.Second

// emailChecks are the checks of the email channel: the mailbox (login,
// TLS, how the last round went), the support address and whose verdict on
// senders is trusted.
func (d *doctor) emailChecks(ctx context.Context) []DoctorCheck {
	o := d.in.Email
	if !o.Enabled() {
		return []DoctorCheck{warn("imap", "no mailbox is read: mail to the support address never becomes a ticket",
			"set --imap imaps://user@imap.example.com/INBOX with --imap-password-file, --support-address and --mail-authserv-id")}
	}
	return []DoctorCheck{d.mailbox(ctx, o), supportAddress(o), authservID(o)}
}

// mailbox: the login works over TLS, and the running server's rounds work.
func (d *doctor) mailbox(ctx context.Context, o mail.InboundOptions) DoctorCheck {
	const name = "imap"
	ctx, cancel := context.WithTimeout(ctx, mailboxCheckLimit)
	defer cancel()
	summary, err := mail.CheckMailbox(ctx, o)
	if err != nil {
		return fail(name, o.Mailbox()+": "+err.Error(), "check --imap, the password and that the provider allows IMAP for this account")
	}
	detail := o.Mailbox() + ": " + summary
	if d.in.DB != nil {
		if mb, err := d.in.DB.GetMailbox(ctx, o.Mailbox()); err == nil && !mb.FailingSince.IsZero() {
			return fail(name, detail+"; but the server's rounds fail since "+mb.FailingSince.UTC().Format(time.RFC3339)+": "+mb.Error,
				"see the server log for the first failure")
		}
	}
	switch {
	case o.PasswordInURL():
		return warn(name, detail+"; the password is written in --imap, where ps and the shell history show it",
			"put it in a file for --imap-password-file (or "+mail.PasswordEnv+") and drop it from the URL")
	case strings.HasPrefix(o.Mailbox(), "imap+insecure://"):
		return warn(name, detail+"; in plain text to a server on this machine", "use imaps:// to reach the provider directly")
	}
	return pass(name, detail)
}

// supportAddress: where customers write, and where replies come back.
func supportAddress(o mail.InboundOptions) DoctorCheck {
	local, domain, _ := strings.Cut(o.Support(), "@")
	return pass("support-address", fmt.Sprintf("customers write to %s; replies come back to %s+TOKEN@%s, so the mailbox must take plus addresses (Gmail and Microsoft 365 do)",
		o.Support(), local, domain))
}

// authservID: whose Authentication-Results header decides who a sender is.
func authservID(o mail.InboundOptions) DoctorCheck {
	const name = "authserv-id"
	t := o.Trust()
	switch {
	case !t.Configured():
		return fail(name, "no receiving server is trusted: no sender is ever authenticated, every email ticket is marked sender not verified and every reply is held",
			"set --mail-authserv-id to your provider's, like mx.google.com (see a received message's Authentication-Results header), or position:1 for Microsoft 365")
	case t.Position > 0:
		return warn(name, fmt.Sprintf("the Authentication-Results header at position %d is trusted whatever it says it is from: right for Microsoft 365, which writes one on every message without an authserv-id; anywhere else a sender's own header could be believed", t.Position),
			"keep position:N only for a Microsoft 365 mailbox; elsewhere name the receiving server, like mx.google.com")
	}
	return pass(name, "the topmost Authentication-Results header from "+t.AuthservID+" decides; any other is ignored")
}
